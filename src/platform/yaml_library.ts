/**
 * The YAML parser, imported statically here so that config.ts can load this module lazily:
 * a dynamic `import("yaml")` of the CommonJS package, split into its own chunk by
 * `deno bundle --code-splitting`, exposes only a default export in the bundle, and `parse`
 * came back undefined in the compiled binary.
 */
export { parse as parseYaml } from "yaml";
