import assert from "node:assert/strict";
import { kittyRefusal, refusesAuthorisation } from "../../src/kitty/refusals.ts";

/** kitty's answers as measured (protocols/kitty-remote-control.md, kitty 0.26.5 and HEAD). */
const KITTY_TEXTS = {
  newer:
    "The kitty client you are using to send remote commands is newer than this kitty instance. This is not supported.",
  disabled: "Remote control is disabled. Add allow_remote_control to your kitty.conf",
  passwordRejected:
    "The user rejected this password or it is disallowed by remote_control_password in kitty.conf",
  userDeniedPassword: "The user rejected this password",
  userDeniedRequest: "The user rejected this request",
};

Deno.test("kittyRefusal names each of kitty's refusal texts", () => {
  assert.equal(kittyRefusal(KITTY_TEXTS.newer), "newer_than_kitty");
  assert.equal(kittyRefusal(KITTY_TEXTS.disabled), "remote_control_disabled");
  assert.equal(kittyRefusal(KITTY_TEXTS.passwordRejected), "password_rejected");
  assert.equal(kittyRefusal(KITTY_TEXTS.userDeniedPassword), "password_rejected");
  assert.equal(kittyRefusal(KITTY_TEXTS.userDeniedRequest), "request_rejected");
  assert.equal(kittyRefusal("No matching windows"), null);
  assert.equal(kittyRefusal(""), null);
});

Deno.test("refusesAuthorisation: every refusal but the version's", () => {
  assert.equal(refusesAuthorisation(KITTY_TEXTS.newer), false);
  for (const text of Object.values(KITTY_TEXTS).filter((text) => text !== KITTY_TEXTS.newer)) {
    assert.equal(refusesAuthorisation(text), true, text);
  }
  assert.equal(refusesAuthorisation("DISALLOWED by policy"), true); // any case, any wording
  assert.equal(refusesAuthorisation("No matching windows"), false);
});
