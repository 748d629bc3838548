import assert from "node:assert/strict";
import { ReportBudget } from "../../src/conbus/report_budget.ts";

Deno.test("report budget: at most maxPerWindow per window, a new window after windowMs", () => {
  const budget = new ReportBudget({ maxPerWindow: 3, windowMs: 1000 });
  const taken = Array.from({ length: 10 }, (_, index) => budget.take(index)).filter(Boolean);
  assert.equal(taken.length, 3);
  assert.equal(budget.take(999), false, "same window");
  assert.equal(budget.take(1000), true, "next window");
  assert.equal(budget.take(1500), true);
  assert.equal(budget.take(1600), true);
  assert.equal(budget.take(1700), false);
});

Deno.test("report budget: 100,000 items over 2 s report at most 2 windows' worth", () => {
  const budget = new ReportBudget({ maxPerWindow: 100, windowMs: 1000 });
  let reported = 0;
  for (let index = 0; index < 100_000; index++) if (budget.take(index / 50)) reported++;
  assert.equal(reported, 200);
});
