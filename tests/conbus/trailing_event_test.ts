import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { directAcquirer } from "./direct_acquirer.ts";
import { sendTelegrams } from "../../src/conbus/conbus_client.ts";
import { telegramFromBody } from "../../src/conbus/telegram_codec.ts";

Deno.test("an event in the same read right after the final ACK is reported in events", async () => {
  const ack = telegramFromBody("R0020044964F18D").frame;
  const event = telegramFromBody("E07L06I80M").frame;
  const sockets: Socket[] = [];
  // A bridge that answers the write with its ACK and the output event in ONE segment: the
  // exchange is over after the ACK, and the event used to land in the idle buffer, unreported.
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on("data", () => socket.write(ack + event));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const port = (server.address() as { port: number }).port;
    const result = await sendTelegrams([telegramFromBody("S0020044964F27D00AB")], {
      acquire: directAcquirer({ host: "127.0.0.1", port }),
      timeoutMs: 2000,
      quietMs: 400,
      minGapMs: 0,
    });
    assert.equal(result.outcome, "replied");
    assert.deepEqual(result.results[0]!.replies.map((reply) => reply.frame), [ack]);
    assert.deepEqual(
      result.events.map((each) => each.kind === "telegram" && each.telegram.frame),
      [event],
    );
    assert.equal(result.droppedEvents, 0);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
