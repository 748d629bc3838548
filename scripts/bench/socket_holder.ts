// Listens on every path given on stdin (one per line) and prints "ready"; the benchmarks then
// SIGKILL it to leave the files behind as stale sockets (exactly what a crashed sway leaves),
// or keep it running for live ones. Accepted connections are closed at once.
const paths = (await new Response(Deno.stdin.readable).text()).split("\n").filter(Boolean);
for (const path of paths) {
  const listener = Deno.listen({ transport: "unix", path });
  (async () => {
    for await (const connection of listener) connection.close();
  })();
}
console.log("ready");
