// The connect/close flood of scripts/bench/abuse.ts, in its own process: 64 connections at a
// time, each closed as soon as it is open, until SIGTERM; prints the number of cycles.
// Usage: deno run -A scripts/bench/churn.ts <socket path>
const path = Deno.args[0]!;
let churning = true;
let cycles = 0;
Deno.addSignalListener("SIGTERM", () => (churning = false));
await Promise.all(Array.from({ length: 64 }, async () => {
  while (churning) {
    try {
      (await Deno.connect({ transport: "unix", path })).close();
      cycles++;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 0)); // refused under load
    }
  }
}));
console.log(cycles);
Deno.exit(0);
