import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findKittyPublicKey } from "../../src/kitty/public_key.ts";

/** A fake procfs: `processes` maps pid -> {children, environ}. */
function fakeProc(
  processes: Record<number, { children?: number[]; environ?: Record<string, string> }>,
): { root: string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), "fake-proc-"));
  for (const [pid, entry] of Object.entries(processes)) {
    mkdirSync(join(root, pid, "task", pid), { recursive: true });
    writeFileSync(join(root, pid, "task", pid, "children"), (entry.children ?? []).join(" "));
    const environ = Object.entries(entry.environ ?? {}).map(([k, v]) => `${k}=${v}\0`).join("");
    writeFileSync(join(root, pid, "environ"), environ);
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

Deno.test("findKittyPublicKey reads the key from a child's environ, not kitty's own", async () => {
  const proc = fakeProc({
    100: { children: [101, 102], environ: { HOME: "/h" } },
    101: { environ: { HOME: "/h" } }, // the prewarm zygote: no key
    102: { environ: { KITTY_PID: "100", KITTY_PUBLIC_KEY: "1:abc" } },
  });
  try {
    assert.equal(await findKittyPublicKey(100, proc.root), "1:abc");
  } finally {
    proc.cleanup();
  }
});

Deno.test("findKittyPublicKey skips a child carrying another kitty's key", async () => {
  const proc = fakeProc({
    100: { children: [101, 102] },
    101: { environ: { KITTY_PID: "55", KITTY_PUBLIC_KEY: "1:other" } },
    102: { environ: { KITTY_PID: "100", KITTY_PUBLIC_KEY: "1:mine" } },
  });
  try {
    assert.equal(await findKittyPublicKey(100, proc.root), "1:mine");
  } finally {
    proc.cleanup();
  }
});

Deno.test("findKittyPublicKey looks at grandchildren when children have no key", async () => {
  const proc = fakeProc({
    100: { children: [101] },
    101: { children: [102] },
    102: { environ: { KITTY_PID: "100", KITTY_PUBLIC_KEY: "1:deep" } },
  });
  try {
    assert.equal(await findKittyPublicKey(100, proc.root), "1:deep");
  } finally {
    proc.cleanup();
  }
});

Deno.test("findKittyPublicKey returns null without children or key", async () => {
  const proc = fakeProc({ 100: { environ: { KITTY_PUBLIC_KEY: "1:own" } } });
  try {
    assert.equal(await findKittyPublicKey(100, proc.root), null);
    assert.equal(await findKittyPublicKey(999, proc.root), null);
  } finally {
    proc.cleanup();
  }
});
