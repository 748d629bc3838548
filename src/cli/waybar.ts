/**
 * One line of a Waybar custom module with `"return-type": "json"`: `text` on the bar,
 * `tooltip` on hover, `class` for CSS (`#custom-tether.down`), `percentage` (0–100) for
 * `format-icons`.
 */
export interface WaybarLine {
  /** What the bar shows. */
  text: string;
  /** Shown on hover; lines separated by `\n`. */
  tooltip: string;
  /** CSS class. */
  class: string;
  /** 0–100, where a share makes sense. */
  percentage?: number;
}

/**
 * Waybar's text fields are Pango markup: `&`, `<` and `>` in a socket path or an error
 * message would break the module, so they are escaped.
 *
 * @example
 * ```ts
 * waybarJson({ text: "a<b", tooltip: "", class: "ok" }); // '{"text":"a&lt;b","tooltip":"","class":"ok"}'
 * ```
 */
export function waybarJson(line: WaybarLine): string {
  const escape = (text: string) =>
    text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  return JSON.stringify({ ...line, text: escape(line.text), tooltip: escape(line.tooltip) });
}
