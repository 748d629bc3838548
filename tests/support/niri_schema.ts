/**
 * niri-ipc's own JSON Schema (tests/fixtures/niri-ipc-<version>.schema.json, written by
 * scripts/niri_schema.sh from the niri-ipc crate's `json-schema` feature) as validators for
 * request, reply and event lines. Stricter than serde on one point on purpose: a field the
 * schema does not know fails, unless it is listed in {@link NEWER_THAN_SCHEMA} — so what tether
 * and the fake niri rely on beyond that niri-ipc is written down, never silently accepted.
 *
 * ```ts
 * const niri = niriSchema();
 * niri.check("event", '{"WindowClosed":{"id":3}}'); // { valid: true }
 * ```
 */
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv";

/** The niri-ipc release the committed schema was generated from. */
export const NIRI_IPC_SCHEMA_VERSION = "25.8.0";

/**
 * What niri sends today that niri-ipc {@link NIRI_IPC_SCHEMA_VERSION} does not describe: whole
 * events, and fields of the schema's types (`$defs` name → field names).
 */
export const NEWER_THAN_SCHEMA = {
  /** niri 25.11: a window's focus timestamp was committed (recent-windows switcher). */
  events: ["WindowFocusTimestampChanged"] as readonly string[],
  /** niri 25.11: `Window.focus_timestamp` (`{secs, nanos}` or null). */
  fields: { Window: ["focus_timestamp"] } as Readonly<Record<string, readonly string[]>>,
};

/** Which side of the protocol a line belongs to. */
export type NiriLineKind = "request" | "reply" | "event";

/** The verdict on one line. */
export type NiriLineVerdict =
  | { valid: true }
  | { valid: false; errors: string }
  /** An event listed in {@link NEWER_THAN_SCHEMA}: not judged by the older schema. */
  | { valid: "newer"; event: string };

/** Validators for the three kinds of niri line. */
export interface NiriSchema {
  /** The niri-ipc version of the schema. */
  version: string;
  /** Judges one JSON line (or an already parsed value). */
  check(kind: NiriLineKind, line: string | unknown): NiriLineVerdict;
}

type Json = Record<string, unknown>;

/** Objects with known properties refuse unknown ones, except the listed newer fields. */
function strict(schema: Json): Json {
  const copy = structuredClone(schema);
  const defs = (copy.$defs ?? {}) as Record<string, Json>;
  for (const [name, fields] of Object.entries(NEWER_THAN_SCHEMA.fields)) {
    const properties = defs[name]?.properties as Json | undefined;
    for (const field of fields) if (properties) properties[field] = {};
  }
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== "object" || node === null) return;
    const object = node as Json;
    if (object.properties && !("additionalProperties" in object)) {
      object.additionalProperties = false;
    }
    Object.values(object).forEach(visit);
  };
  visit(copy);
  return copy;
}

/** Loads the committed schema and compiles its three validators. */
export function niriSchema(): NiriSchema {
  const path = new URL(
    `../fixtures/niri-ipc-${NIRI_IPC_SCHEMA_VERSION}.schema.json`,
    import.meta.url,
  );
  const file = JSON.parse(readFileSync(path, "utf8")) as Record<string, Json> & {
    niri_ipc_version: string;
  };
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  // schemars' numeric formats (Rust's types): checked, so an out-of-range number fails.
  const integerIn = (min: number, max: number) => (value: number) =>
    Number.isInteger(value) && value >= min && value <= max;
  const formats: Record<string, (value: number) => boolean> = {
    uint8: integerIn(0, 0xff),
    uint16: integerIn(0, 0xffff),
    uint32: integerIn(0, 0xffff_ffff),
    uint64: integerIn(0, Number.MAX_SAFE_INTEGER),
    uint: integerIn(0, Number.MAX_SAFE_INTEGER),
    int32: integerIn(-0x8000_0000, 0x7fff_ffff),
    double: Number.isFinite,
  };
  for (const [name, validate] of Object.entries(formats)) {
    ajv.addFormat(name, { type: "number", validate });
  }
  const validators: Record<NiriLineKind, ValidateFunction> = {
    request: ajv.compile(strict(file.Request!)),
    reply: ajv.compile(strict(file.Reply!)),
    event: ajv.compile(strict(file.Event!)),
  };
  return {
    version: file.niri_ipc_version,
    check(kind, line) {
      const value = typeof line === "string" ? JSON.parse(line) : line;
      if (kind === "event" && typeof value === "object" && value !== null) {
        const [name] = Object.keys(value);
        if (name !== undefined && NEWER_THAN_SCHEMA.events.includes(name)) {
          return { valid: "newer", event: name };
        }
      }
      const validate = validators[kind];
      if (validate(value)) return { valid: true };
      return { valid: false, errors: ajv.errorsText(validate.errors) };
    },
  };
}
