import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/**
 * `tether conbus send|serve`: Conbus telegrams to a Conson XP130/XP230 bridge. `send` goes
 * through a running `serve` (which owns the bridge's only TCP connection) or, with `--direct`
 * or when no daemon runs, connects itself. Exit 0 replied, 1 otherwise, 2 usage/config.
 */
export function conbusCommand(context: CliContext): Command {
  const conbus = new Command("conbus").description(
    "send Conbus telegrams to a Conson XP bridge, or own its single connection (serve)",
  );
  conbus.addCommand(sendCommand(context));
  conbus.addCommand(serveCommand(context));
  return conbus;
}

function sendCommand(context: CliContext) {
  return new Command("send")
    .description(
      "send telegrams (<S0020044964F02D12FJ> or S0020044964F02D12) and wait for their replies",
    )
    .argument("<telegrams...>", "full frames (checksum verified) or bodies (checksum added)")
    .option("--host <host>", "bridge address (else $TETHER_CONBUS_HOST, config.yml, ./cli.yml)")
    .option("--port <port>", "bridge TCP port (default: 10001)")
    .option("--timeout <duration>", "overall deadline incl. retries (default: 2s)")
    .option("--quiet-ms <duration>", "broadcast/discover/event quiet window (default: 500ms)")
    .option("--direct", "connect to the bridge even if `tether conbus serve` runs", false)
    .action((telegramArgs, options) =>
      import("./conbus_action.ts").then((module) =>
        module.conbusSendAction(context, telegramArgs, options)
      )
    );
}

function serveCommand(context: CliContext) {
  return new Command("serve")
    .description(
      "own the bridge's single TCP connection and serve `tether conbus send` on $XDG_RUNTIME_DIR/tether/conbus.sock",
    )
    .option("--host <host>", "bridge address (else $TETHER_CONBUS_HOST, config.yml, ./cli.yml)")
    .option("--port <port>", "bridge TCP port (default: 10001)")
    .option("--min-gap-ms <duration>", "minimum time between telegrams on the bus (default: 50ms)")
    .action((options) =>
      import("./conbus_action.ts").then((module) => module.conbusServeAction(context, options))
    );
}
