/** Fields every decoded telegram carries, as on the wire (latin-1 text, one char per byte). */
export interface TelegramText {
  /** Everything between `<` and the checksum, e.g. `S0020044964F02D12`. */
  body: string;
  /** The two checksum letters, e.g. `FJ`. */
  checksum: string;
  /** The whole frame, e.g. `<S0020044964F02D12FJ>`. */
  frame: string;
}

/** `S` serial(10) `F` function(2) `D` data(≥2): a request from a client to a module. */
export interface SystemTelegram extends TelegramText {
  /** Telegram type. */
  type: "S";
  /** Ten digits; `0000000000` is broadcast. */
  serial: string;
  /** Two digits, e.g. `02` read datapoint, `27` action. */
  functionCode: string;
  /** Everything after `D`, e.g. `12` (a datapoint) or `00AB` (output 00 on). */
  data: string;
}

/** `R` serial(10) `F` function(2) `D` data: a module's answer (`F18` ACK, `F19` NAK). */
export interface ReplyTelegram extends TelegramText {
  /** Telegram type. */
  type: "R";
  /** The answering module's serial. */
  serial: string;
  /** Two digits: the request's function, or `18` ACK / `19` NAK. */
  functionCode: string;
  /** Everything after `D`; for `F02` the datapoint (2 chars) then the value. */
  data: string;
}

/** `E`/`O` moduletype(2) `L` link(2) `I` input(2) `M|B`: a button make/break or output change. */
export interface EventTelegram extends TelegramText {
  /** `E` event, `O` CP-series event. */
  type: "E" | "O";
  /** Two digits, e.g. `07` (XP24), `14`. */
  moduleType: string;
  /** Two digits. */
  link: string;
  /** Two digits: 0–9 buttons, 10–89 IR, 90 proximity; XP24 outputs report as 80–83. */
  input: string;
  /** `M` make (press / on), `B` break (release / off). */
  action: "M" | "B";
}

/** Any decoded telegram. */
export type Telegram = SystemTelegram | ReplyTelegram | EventTelegram;

/** The serial addressing every module at once. */
export const BROADCAST_SERIAL = "0000000000";

/** Function code of an acknowledgement reply. */
export const ACK_FUNCTION = "18";

/** Function code of a not-acknowledged reply. */
export const NAK_FUNCTION = "19";

/** The value a module sends for a datapoint it does not support. */
export const UNSUPPORTED_VALUE = "??";
