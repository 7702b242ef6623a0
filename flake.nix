{
  description = "Ironstar: reactive, event-sourced, hypermedia web apps on Bun with Datastar";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    flake-utils.url = "github:numtide/flake-utils";
  };

  outputs = { self, nixpkgs, flake-utils }:
    flake-utils.lib.eachSystem [ "x86_64-linux" "aarch64-linux" ] (system:
      let
        pkgs = import nixpkgs { inherit system; };
        lib = pkgs.lib;

        src = lib.cleanSourceWith {
          src = ./.;
          filter = path: type:
            let base = baseNameOf path;
            in !(builtins.elem base [ "node_modules" "dist" ".build" "data" ]);
        };

        # Dependencies as a fixed-output derivation: the only step allowed to reach the registry.
        # After a change to bun.lock, `nix build` fails once and prints the new hash; paste it here.
        nodeModules = pkgs.stdenvNoCC.mkDerivation {
          pname = "ironstar-node-modules";
          version = "0.1.0";
          inherit src;
          nativeBuildInputs = [ pkgs.bun ];
          dontConfigure = true;
          buildPhase = ''
            export HOME=$TMPDIR
            bun install --frozen-lockfile --no-progress
          '';
          installPhase = ''
            mkdir -p $out
            cp -r node_modules $out/
          '';
          dontFixup = true;
          outputHashMode = "recursive";
          outputHashAlgo = "sha256";
          outputHash = lib.fakeHash;
        };

        # `bun run build` inside the sandbox: hashed web assets, then one executable with DuckDB embedded.
        ironstar = pkgs.stdenv.mkDerivation {
          pname = "ironstar";
          version = "0.1.0";
          inherit src;
          nativeBuildInputs = [ pkgs.bun pkgs.git ];
          dontConfigure = true;
          buildPhase = ''
            export HOME=$TMPDIR
            cp -r ${nodeModules}/node_modules ./node_modules
            chmod -R u+w node_modules
            bun build.ts --outfile dist/ironstar
          '';
          installPhase = ''
            install -Dm755 dist/ironstar $out/bin/ironstar
          '';
          # The executable carries its JavaScript after the ELF image; stripping would cut it off.
          dontStrip = true;
          meta = {
            description = "Ironstar web application as one executable";
            mainProgram = "ironstar";
            platforms = lib.platforms.linux;
          };
        };
      in
      {
        packages.default = ironstar;
        packages.ironstar = ironstar;

        devShells.default = pkgs.mkShell {
          packages = [ pkgs.bun pkgs.chromium pkgs.sqlite pkgs.just ];
          shellHook = ''
            # playwright-core drives this Chromium in the e2e tests.
            export CHROMIUM_PATH=${pkgs.chromium}/bin/chromium
          '';
        };

        formatter = pkgs.nixpkgs-fmt;
      });
}
