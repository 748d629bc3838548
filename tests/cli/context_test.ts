import assert from "node:assert/strict";
import { type CliContext, colourEnabled } from "../../src/cli/context.ts";

function context(env: Record<string, string>, stdoutIsTty: boolean): CliContext {
  return { env, stdoutIsTty } as unknown as CliContext;
}

Deno.test("colour only on a terminal, and never when NO_COLOR is set (no-color.org)", () => {
  assert.equal(colourEnabled(context({}, true)), true);
  assert.equal(colourEnabled(context({}, false)), false, "pipes and files get no escapes");
  assert.equal(colourEnabled(context({ NO_COLOR: "1" }, true)), false);
  assert.equal(colourEnabled(context({ NO_COLOR: "" }, true)), true, "an empty NO_COLOR is unset");
});
