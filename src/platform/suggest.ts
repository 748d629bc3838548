/**
 * The closest known names to a mistyped one (at most 3 edits, counting a swap of two
 * neighbouring letters as one), for "did you mean" hints. Empty when nothing is close.
 *
 * @example
 * ```ts
 * closestNames("conbsu", ["conbus", "focus"]); // ["conbus"]
 * ```
 */
function closestNames(word: string, candidates: readonly string[]): string[] {
  let best = 4;
  let similar: string[] = [];
  for (const candidate of new Set(candidates)) {
    const distance = editDistance(word, candidate);
    const length = Math.max(word.length, candidate.length);
    if ((length - distance) / length <= 0.4 || distance > best) continue;
    if (distance < best) similar = [];
    best = distance;
    similar.push(candidate);
  }
  return similar.sort();
}

/** `" (did you mean X?)"`, `" (did you mean one of X, Y?)"`, or "" when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const similar = closestNames(word, candidates);
  if (similar.length === 0) return "";
  return similar.length === 1
    ? ` (did you mean ${similar[0]}?)`
    : ` (did you mean one of ${similar.join(", ")}?)`;
}

/** Optimal string alignment distance (Damerau–Levenshtein without repeated edits). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Math.max(a.length, b.length);
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d[i] = [i];
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let j = 1; j <= b.length; j++) {
    for (let i = 1; i <= a.length; i++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = value;
    }
  }
  return d[a.length]![b.length]!;
}
