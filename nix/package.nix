# tether, built offline the way scripts/build.sh builds it: `deno bundle` (npm dependencies
# inlined), then `bun build --compile --bytecode`; plus its completions and man page, as
# scripts/install.sh installs them. The npm dependencies pinned in deno.lock, and the esbuild
# that `deno bundle` uses, come from one fixed-output derivation: the only step with network.
# Not built here (no nixpkgs on the development machine): on the first build nix prints the
# real hash for `depsHash`. nixpkgs' deno and bun replace the versions pinned in tools/.
{ lib, stdenvNoCC, deno, bun, depsHash ? lib.fakeHash }:
let
  version = (builtins.fromJSON (builtins.readFile ../deno.json)).version;
  # What the build reads: the program, its lock file, and the man page generator.
  kept = [ "deno.json" "deno.lock" "main.ts" "src" "scripts" "scripts/man.ts" ];
  src = lib.cleanSourceWith {
    name = "tether-source";
    src = ../.;
    filter = path: type:
      let relative = lib.removePrefix (toString ../. + "/") (toString path);
      in builtins.elem relative kept || lib.hasPrefix "src/" relative;
  };
  denoEnv = ''
    export HOME="$TMPDIR" DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
  '';
  deps = stdenvNoCC.mkDerivation {
    pname = "tether-deps";
    inherit version src;
    nativeBuildInputs = [ deno ];
    buildPhase = ''
      ${denoEnv}
      export DENO_DIR="$out/deno-dir"
      deno install --frozen --quiet
      # deno bundle fetches esbuild on first use: once here, so the real build needs no network.
      deno bundle --quiet --platform deno -o "$TMPDIR/warm-up.js" main.ts
      cp -r node_modules "$out/node_modules"
    '';
    dontInstall = true;
    dontFixup = true;
    outputHashMode = "recursive";
    outputHashAlgo = "sha256";
    outputHash = depsHash;
  };
in
stdenvNoCC.mkDerivation {
  pname = "tether";
  inherit version src;
  nativeBuildInputs = [ deno bun ];
  buildPhase = ''
    ${denoEnv}
    export DENO_DIR="$TMPDIR/deno-dir"
    cp -r ${deps}/deno-dir "$DENO_DIR" && cp -r ${deps}/node_modules node_modules
    chmod -R u+w "$DENO_DIR" node_modules
    mkdir -p dist
    deno bundle --quiet --platform deno --code-splitting --outdir dist/bundle main.ts
    bun build --compile --bytecode --format esm --splitting dist/bundle/main.js --outfile dist/tether
  '';
  installPhase = ''
    install -Dm0755 dist/tether "$out/bin/tether"
    mkdir -p "$out/share/bash-completion/completions" "$out/share/zsh/site-functions" \
      "$out/share/fish/vendor_completions.d" "$out/share/man/man1"
    "$out/bin/tether" completions bash > "$out/share/bash-completion/completions/tether"
    "$out/bin/tether" completions zsh > "$out/share/zsh/site-functions/_tether"
    "$out/bin/tether" completions fish > "$out/share/fish/vendor_completions.d/tether.fish"
    deno run --quiet --no-check --allow-read --allow-env scripts/man.ts > "$out/share/man/man1/tether.1"
  '';
  # bun appends the program to a copy of its runtime: stripping or patching the ELF file
  # would cut the program off.
  dontStrip = true;
  dontPatchELF = true;
  # `nix build .#tether.deps` builds (and prints the hash of) the dependencies alone.
  passthru = { inherit deps; };
  meta = {
    description = "Keeps a Linux desktop's local connections healthy: compositor, kitty, Conbus";
    mainProgram = "tether";
    platforms = [ "x86_64-linux" "aarch64-linux" ];
  };
}
