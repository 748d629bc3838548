/**
 * The registry's OS-window font changes over real sockets, against the kitty model
 * (tests/fakes/kitty_model.ts): the command per kitty version, and the fallback when kitty's password
 * allows no `action` (set up by an older tether).
 */
import assert from "node:assert/strict";
import { KittyRegistry } from "../../src/kitty/registry.ts";
import { KittyModel } from "../fakes/kitty_model.ts";
import { type FakeKittyHandler, startFakeKitty } from "../fakes/kitty_server.ts";

async function withModel(
  model: KittyModel,
  run: (registry: KittyRegistry) => Promise<void>,
  handler: FakeKittyHandler = model.handler,
) {
  const server = await startFakeKitty(handler);
  const registry = new KittyRegistry({
    socketPathFor: () => server.socketPath,
    isAlive: () => true,
    procRoot: "/nonexistent-proc", // version unknown: decided from kitty's reply
    socketTimeoutMs: 500,
    env: { XDG_RUNTIME_DIR: "/run/user/test", HOME: "/home/test" },
  });
  try {
    await run(registry);
  } finally {
    await registry.close();
    await server.close();
  }
}

Deno.test("kitty 0.48: an action changes exactly the named OS window, whichever is active", async () => {
  const model = new KittyModel({ version: [0, 48, 2] });
  const first = model.openOsWindow();
  const second = model.openOsWindow();
  model.setKeyboardFocus(second);
  await withModel(model, async (registry) => {
    const grown = await registry.changeOsWindowFontSize(7, first, 3, { allowReset: false });
    assert.equal(grown.status, "success", grown.error ?? "");
    assert.equal(model.deltaOf(first), 3);
    assert.equal(model.deltaOf(second), 0);
    await registry.changeOsWindowFontSize(7, first, -3, { allowReset: true });
    assert.equal(model.deltaOf(first), 0);
    assert.ok(model.log.includes(`action:${first}`));
  });
});

Deno.test("kitty 0.26: set-font-size on the active OS window; an inactive one is reset or unreachable", async () => {
  const model = new KittyModel({ version: [0, 26, 5] });
  const first = model.openOsWindow();
  const second = model.openOsWindow();
  model.setKeyboardFocus(first);
  await withModel(model, async (registry) => {
    assert.equal(
      (await registry.changeOsWindowFontSize(7, first, 3, { allowReset: false })).status,
      "success",
    );
    model.setKeyboardFocus(second); // focus moved to the other OS window
    const unreachable = await registry.changeOsWindowFontSize(7, first, 3, { allowReset: false });
    assert.equal(unreachable.effect, "not_active");
    const shrunk = await registry.changeOsWindowFontSize(7, first, -3, { allowReset: true });
    assert.equal(shrunk.effect, "reset_all");
    assert.deepEqual([model.deltaOf(first), model.deltaOf(second)], [0, 0]);
    assert.ok(!model.log.some((entry) => entry.startsWith("action")), "no action on 0.26");
  });
});

Deno.test("a password without `action` (older setup): kitty >= 0.35 falls back to set-font-size, not a failure", async () => {
  const model = new KittyModel({ version: [0, 48, 2] });
  const only = model.openOsWindow();
  const refusing: FakeKittyHandler = (request) =>
    request.cmd === "action"
      ? {
        ok: false,
        error:
          "The user rejected this password or it is disallowed by remote_control_password in kitty.conf",
      }
      : model.handler(request);
  await withModel(model, async (registry) => {
    const first = await registry.changeOsWindowFontSize(7, only, 3, { allowReset: false });
    assert.equal(first.status, "success", first.error ?? "");
    assert.equal(model.deltaOf(only), 3);
    const second = await registry.changeOsWindowFontSize(7, only, -3, { allowReset: true });
    assert.equal(second.status, "success");
    assert.equal(model.deltaOf(only), 0);
    assert.equal(registry.snapshot()[0]!.status, "ready");
  }, refusing);
});
