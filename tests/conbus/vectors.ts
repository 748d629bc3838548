/** Real-capture telegrams with their checksums (protocols/conbus.md §2.4, verified there). */
export const REAL_CAPTURE_FRAMES: readonly string[] = [
  "<S0000000000F01D00FA>",
  "<S0020030837F02D02FM>",
  "<S0020044966F02D0ACJ>",
  "<S0020044964F27D00AAFN>",
  "<S0020044964F27D03ABFN>",
  "<S0020044964F02D12FJ>",
  "<S0020012521F02D18FN>",
  "<S0020044966F00D00FK>",
  "<R0020030837F01DFM>",
  "<R0020030837F02D02XP230_V1.00.04FI>",
  "<R0020044964F18DFA>",
  "<R0020044966F19DFD>",
  "<R0020044964F02D12xxxx1110FJ>",
  "<R0020044966F02D1500:000[%],01:000[%],02:000[%],03:000[%]HB>",
  "<R0020012521F02D18+26,0\u00a7CIL>",
  "<R0020044966F02D18+28,5\u00a7CIM>",
  "<R0020030837F02D0734FP>",
  "<E14L00I02MAK>",
  "<E07L06I80BAL>",
  "<E07L06I83MAH>",
  "<O06L00I07MAG>",
];

/** Latin-1 bytes of a test string (every char must be <= U+00FF). */
export function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

export { seededRandom } from "../support/seeded_random.ts";
