import { type RetryPolicy, schedulePolicy } from "../resilience/retry_policy.ts";

/**
 * kitty commands: attempt 1 immediately, attempt 2 100 ms after attempt 1 failed, attempt 3
 * 200 ms after attempt 2 failed, then give up (issue 4: "immediately, +100 ms, +200 ms, then
 * failed") — 3 attempts in total, delays before them `0, 100, 200`.
 */
export const KITTY_COMMAND_POLICY: RetryPolicy = schedulePolicy([0, 100, 200]);
