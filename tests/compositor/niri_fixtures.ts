/**
 * Well-formed niri lines the codec tests decode, in one place so tests/compositor/
 * niri_schema_test.ts can check each against niri-ipc's own JSON Schema: a fixture that niri
 * could never send would make a codec test prove nothing.
 */
import type { NiriLineKind } from "../support/niri_schema.ts";

/** A niri 25.11 window (with `focus_timestamp`, newer than niri-ipc 25.8). */
export const NIRI_WINDOW =
  '{"id":7,"title":"nvim","app_id":"kitty","pid":41230,"workspace_id":1,"is_focused":true,"is_floating":false,"is_urgent":false,"layout":{"pos_in_scrolling_layout":[1,1],"tile_size":[960.0,1080.0],"window_size":[956,1076],"tile_pos_in_workspace_view":[0.0,0.0],"window_offset_in_tile":[2.0,2.0]},"focus_timestamp":{"secs":5123,"nanos":250000000}}';

/** Each fixture line and which side of the protocol it is. */
export const NIRI_LINES = {
  versionRequest: { kind: "request", line: '"Version"' },
  eventStreamRequest: { kind: "request", line: '"EventStream"' },
  focusWindowRequest: { kind: "request", line: '{"Action":{"FocusWindow":{"id":12}}}' },
  versionReply: { kind: "reply", line: '{"Ok":{"Version":"25.11 (b35bcae)"}}' },
  patchVersionReply: { kind: "reply", line: '{"Ok":{"Version":"25.05.1 (8ba57fc)"}}' },
  handledReply: { kind: "reply", line: '{"Ok":"Handled"}' },
  noFocusedWindowReply: { kind: "reply", line: '{"Ok":{"FocusedWindow":null}}' },
  errorReply: { kind: "reply", line: '{"Err":"error parsing request"}' },
  windowsChanged: { kind: "event", line: `{"WindowsChanged":{"windows":[${NIRI_WINDOW}]}}` },
  windowOpened: { kind: "event", line: `{"WindowOpenedOrChanged":{"window":${NIRI_WINDOW}}}` },
  focusChanged: { kind: "event", line: '{"WindowFocusChanged":{"id":7}}' },
  focusNone: { kind: "event", line: '{"WindowFocusChanged":{"id":null}}' },
  windowClosed: { kind: "event", line: '{"WindowClosed":{"id":8}}' },
  workspaceActivated: { kind: "event", line: '{"WorkspaceActivated":{"id":2,"focused":true}}' },
  focusTimestamp: {
    kind: "event",
    line: '{"WindowFocusTimestampChanged":{"id":7,"focus_timestamp":null}}',
  },
} as const satisfies Record<string, { kind: NiriLineKind; line: string }>;
