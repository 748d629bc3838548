# The part of home-manager that nix/home-manager.nix writes to: systemd.user.{services,timers,
# targets}.<name>.<Section>.<Key> = value or list of values (home-manager renders a list as
# repeated keys). Nothing else of home-manager is needed to evaluate the module.
{ lib, ... }:
let
  unitType = lib.types.attrsOf (lib.types.attrsOf (lib.types.either
    (lib.types.oneOf [ lib.types.str lib.types.int lib.types.bool ])
    (lib.types.listOf lib.types.str)));
  units = lib.mkOption { type = lib.types.attrsOf unitType; default = { }; };
in
{
  options.systemd.user = {
    services = units;
    timers = units;
    targets = units;
  };
}
