# Evaluates nix/package.nix without nixpkgs (only its lib): stdenvNoCC.mkDerivation returns its
# arguments, so the test can read the build script, the flags and the source filter.
#   nix-instantiate --eval --strict --json --readonly-mode tests/nix/eval_package.nix \
#     --arg lib 'import ../shared/nixpkgs-lib/lib'
{ lib }:
let
  stdenvNoCC.mkDerivation = attrs: attrs // { outPath = "/nix/store/stand-in-${attrs.pname}"; };
  pkg = import ../../nix/package.nix { inherit lib stdenvNoCC; deno = "deno"; bun = "bun"; };
  # The files the source filter keeps, relative to the repository.
  walk = dir: prefix: lib.concatLists (lib.mapAttrsToList
    (name: type:
      let path = dir + "/${name}"; relative = prefix + name; in
      if !(pkg.src.filter (toString path) type) then [ ]
      else if type == "directory" then walk path (relative + "/")
      else [ relative ])
    (builtins.readDir dir));
in
{
  inherit (pkg) pname version dontStrip dontPatchELF buildPhase installPhase;
  sourceFiles = walk pkg.src.origSrc "";
  depsBuildPhase = pkg.passthru.deps.buildPhase;
  depsHashMode = pkg.passthru.deps.outputHashMode;
}
