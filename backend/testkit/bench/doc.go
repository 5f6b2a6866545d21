// Package bench holds the benchmarks of Konsole and the bridge that
// "make bench" runs (scripts/bench.sh) and whose figures are kept in
// docs/benchmarks.md.
//
// Everything is in the test files: each Benchmark measures one figure
// beside a baseline taken in the same run, reports it with b.ReportMetric
// and adds a Markdown section to the report that TestMain writes to
// $KONUI_BENCH_REPORT. The benchmarks never fail on a slow machine: a missed
// target is reported as MISS, not as a test failure. Only a broken chain
// (an event that never arrives, a server that does not start) fails them.
//
//	BenchmarkStopLatency     stop request -> turn.completed, the real Claude Code CLI
//	BenchmarkEventLog        Log.Append -> one subscriber, SQLite vs memory, and over HTTP SSE
//	BenchmarkBridgeLatency   agent stdout line -> WebSocket client at 1,000 events/s
//	BenchmarkBridgeSustained the highest rate held for 10 s with nothing lost
//
// The test binary also plays the agent of the bridge benchmarks (the
// helper-process pattern): Konsole runs it with KONUI_BENCH_AGENT=1.
package bench
