# home-manager module for tether: the same user units `tether systemd install` writes (tested
# against it by tests/nix/home_manager_test.ts), as home-manager's systemd.user.* attribute sets.
#
#   services.tether.focus.enable = true;      # tether-focus.service + tether-session.target
#   services.tether.cleanup.enable = true;    # tether-cleanup.service + tether-cleanup.timer
#
# On sway, add the two lines `tether systemd install` prints to sway's config (or set
# wayland.windowManager.sway.systemd.enable, which starts sway-session.target and with it
# graphical-session.target); niri's own systemd integration starts graphical-session.target.
{ config, lib, pkgs, ... }:
let
  cfg = config.services.tether;
  inherit (lib) mkEnableOption mkIf mkMerge mkOption types;
  bin = "${cfg.package}/bin/tether";
  # systemd.service(5) command-line quoting, exactly as src/platform/systemd_units.ts does it.
  quote = value:
    let escaped = builtins.replaceStrings [ "%" ] [ "%%" ] value;
    in if builtins.match "[A-Za-z0-9_@%+=:,./-]+" escaped != null then escaped
    else "\"" + builtins.replaceStrings [ "\\" "\"" ] [ "\\\\" "\\\"" ] escaped + "\"";
  # One --app-id per id, in order, as `tether systemd install --app-id a --app-id b` writes them.
  appIdArgs = lib.concatMap (id: [ "--app-id" (quote id) ]) cfg.focus.appIds;
  focusArgs = [ "--compositor" cfg.focus.compositor ] ++ appIdArgs
    ++ [ "--font-delta" (toString cfg.focus.fontDelta) ] ++ cfg.focus.extraArgs;
in
{
  options.services.tether = {
    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage ./package.nix { }";
      description = "The tether package (its bin/tether runs in the units).";
    };
    focus = {
      enable = mkEnableOption "tether focus: the focused kitty's font grows, following niri or sway";
      compositor = mkOption {
        type = types.enum [ "auto" "niri" "sway" "i3" ];
        default = "auto";
        description = "Which compositor to follow (tether focus --compositor).";
      };
      fontDelta = mkOption {
        type = types.ints.between 1 50;
        default = 3;
        description = "Points the focused kitty grows by (tether focus --font-delta).";
      };
      appIds = mkOption {
        # At least one, none empty or blank (tether focus --app-id rejects those).
        type = types.nonEmptyListOf (types.strMatching ".*[^[:space:]].*");
        default = [ "kitty" ];
        description = "App ids of kitty windows, one --app-id each (tether focus --app-id).";
      };
      extraArgs = mkOption {
        type = types.listOf types.str;
        default = [ ];
        description = "More tether focus flags, appended to ExecStart as they are.";
      };
    };
    cleanup = {
      enable = mkEnableOption "tether cleanup every few minutes: removes stale IPC sockets";
      interval = mkOption {
        type = types.strMatching "[1-9][0-9]*(s|min|h)";
        default = "5min";
        description = "How often the timer runs tether cleanup (a systemd time span).";
      };
    };
  };

  config = mkMerge [
    (mkIf cfg.focus.enable {
      systemd.user.services.tether-focus = {
        Unit = {
          Description = "tether focus: kitty font size follows compositor focus";
          Documentation = "man:tether(1)";
          PartOf = "graphical-session.target";
          After = "graphical-session.target";
        };
        Service = {
          ExecStart = "${quote bin} focus ${lib.concatStringsSep " " focusArgs}";
          Restart = "on-failure";
          RestartSec = "2s";
        };
        Install.WantedBy = [ "graphical-session.target" ];
      };
      systemd.user.targets.tether-session.Unit = {
        Description = "tether: compositor session for compositors that do not start graphical-session.target (sway, i3)";
        Documentation = "man:tether(1)";
        BindsTo = "graphical-session.target";
        Wants = "graphical-session-pre.target";
        After = "graphical-session-pre.target";
        Before = "graphical-session.target";
      };
    })
    (mkIf cfg.cleanup.enable {
      systemd.user.services.tether-cleanup = {
        Unit = {
          Description = "tether: remove stale IPC sockets (sway, i3, niri, kitty, tether) from the runtime dir";
          Documentation = "man:tether(1)";
        };
        Service = {
          Type = "oneshot";
          Environment = "TETHER_LOG=info";
          StandardOutput = "null";
          ExecStart = "${quote bin} cleanup";
        };
      };
      systemd.user.timers.tether-cleanup = {
        Unit = {
          Description = "tether: remove stale IPC sockets every ${cfg.cleanup.interval}";
          Documentation = "man:tether(1)";
        };
        Timer = {
          OnStartupSec = "1min";
          OnUnitActiveSec = cfg.cleanup.interval;
          AccuracySec = "10s";
        };
        Install.WantedBy = [ "timers.target" ];
      };
    })
  ];
}
