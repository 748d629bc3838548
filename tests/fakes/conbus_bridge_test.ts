import assert from "node:assert/strict";
import { connectBridge } from "../../src/conbus/bridge_connection.ts";
import { telegramFromBody } from "../../src/conbus/telegram_codec.ts";
import { latin1Encode } from "../../src/conbus/latin1.ts";
import { FakeConbusBridge } from "./conbus_bridge.ts";

Deno.test("fake bridge: the received list stays bounded over a long session; the count does not", async () => {
  const bridge = await FakeConbusBridge.start({ replyDelayMs: [0, 0], maxRecorded: 10 });
  const connection = await connectBridge({ host: "127.0.0.1", port: bridge.port });
  try {
    const frames = Array.from(
      { length: 500 },
      (_, index) =>
        telegramFromBody(`S0099999999F02D${String(index % 100).padStart(2, "0")}`).frame,
    );
    connection.write(latin1Encode(frames.join(""))!);
    for (let step = 0; step < 300 && bridge.receivedCount < 500; step++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(bridge.receivedCount, 500);
    assert.ok(bridge.received.length >= 10 && bridge.received.length < 20);
    assert.deepEqual(bridge.received.slice(-10), frames.slice(-10));
  } finally {
    connection.close();
    await bridge.close();
  }
});
