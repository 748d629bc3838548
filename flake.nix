{
  description = "tether: keeps a Linux desktop's local connections healthy (kitty focus, sockets, Conbus)";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forEachSystem = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      # nix build .#tether (README "Nix": the first build prints the dependency hash to fill in).
      packages = forEachSystem (pkgs: rec {
        tether = pkgs.callPackage ./nix/package.nix { };
        default = tether;
      });

      # imports = [ tether.homeManagerModules.default ];
      # services.tether.focus.enable = true; services.tether.cleanup.enable = true;
      homeManagerModules.default = { lib, pkgs, ... }: {
        imports = [ ./nix/home-manager.nix ];
        services.tether.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      };
      homeManagerModules.tether = self.homeManagerModules.default;
    };
}
