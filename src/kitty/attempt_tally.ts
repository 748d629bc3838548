/**
 * The tries made for one registry action, over its check and its commands: whether anything was
 * sent, and how many retries there were. Reported as `attempts` ({@link attemptsOf}).
 */
export interface AttemptTally {
  /** Something reached (or was sent towards) kitty. */
  sent: boolean;
  /** Retries over the check and every command of the action. */
  retries: number;
}

/** A tally of an action that has sent nothing yet. */
export const newTally = (): AttemptTally => ({ sent: false, retries: 0 });

/** `attempts` of an action: 1 plus every retry once something was sent, else 0. */
export const attemptsOf = (tally: AttemptTally): number => (tally.sent ? 1 + tally.retries : 0);
