// The hostile-HTTP fuzz harness with its short settings; full runs: `bun bench/fuzz/hostile-http.ts --help`.
import '../fuzz/hostile-http.ts'
