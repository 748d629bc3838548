# Evaluates nix/home-manager.nix with nixpkgs' module system and the stand-in for
# home-manager's systemd.user options, and renders each unit as home-manager does
# (lib.generators.toINI with lists as repeated keys): { "<name>.<type>" = "<ini text>"; }.
#   nix-instantiate --eval --strict --json tests/nix/eval_home_manager.nix \
#     --arg lib 'import ../shared/nixpkgs-lib/lib' --argstr settings '{ ... }'
{ lib, settings }:
let
  evaluated = lib.evalModules {
    modules = [
      ./home_manager_stub.nix
      ../../nix/home-manager.nix
      { config = builtins.fromJSON settings; }
    ];
    specialArgs.pkgs = throw "pkgs is not part of this evaluation: set services.tether.package";
  };
  toSystemdIni = lib.generators.toINI {
    listsAsDuplicateKeys = true;
    mkKeyValue = key: value:
      let value' = if builtins.isBool value then (if value then "true" else "false") else toString value;
      in "${key}=${value'}";
  };
  user = evaluated.config.systemd.user;
  render = suffix: units: lib.mapAttrs' (name: unit: lib.nameValuePair "${name}.${suffix}" (toSystemdIni unit)) units;
in
render "service" user.services // render "timer" user.timers // render "target" user.targets
