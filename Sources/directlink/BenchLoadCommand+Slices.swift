import DirectLinkCrypto
import DirectLinkMessage
import DirectLinkServer
import Foundation
import Histogram
import Logging
import NIOPosix

/// The load itself: connections ("lanes"), each with its share of the signed requests, driven for one slice of time
/// or to the end; and the interleaved comparison of the audit log off and on.
extension BenchLoadCommand {
    /// One connection and the requests it sends, in order; `next` is the first one not sent yet.
    struct Lane: Sendable {
        let client: DirectLinkClient
        let requests: [[UInt8]]
        var next = 0
    }

    /// What one slice measured.
    struct Slice {
        var messages: Int
        var seconds: Double
        var latencies: Histogram<UInt64>
        var verified: Int

        var rate: Double { seconds > 0 ? Double(messages) / seconds : 0 }

        var outcome: Outcome {
            let millis = { (p: Double) in Double(latencies.valueAtPercentile(p)) / 1000 }
            return Outcome(seconds: seconds, p50: millis(50), p99: millis(99), p999: millis(99.9), verified: verified)
        }
    }

    static let latencyMicrosecondsMax: UInt64 = 60_000_000
    /// Every this-many-th response of a lane is verified (signature, chain, RetCode) during the load.
    static let verifyEvery = 50

    func connect(host: String, port: Int, requests: [[UInt8]]) async throws -> [Lane] {
        let credentials = DirectLinkClient.Credentials(certificatePath: "\(pki)/corpa-client.pem", privateKeyPath: "\(pki)/corpa-client.key",
                                                       trustedCAPath: "\(pki)/ca-bundle.pem")
        var lanes: [Lane] = []
        for index in 0..<connections {
            let client = try await DirectLinkClient.connect(host: host, port: port, credentials: credentials, framing: http ? .http : .classic,
                                                            group: MultiThreadedEventLoopGroup.singleton)
            lanes.append(Lane(client: client, requests: stride(from: index, to: requests.count, by: connections).map { requests[$0] }))
        }
        return lanes
    }

    func close(_ lanes: [Lane]) async {
        for lane in lanes { await lane.client.close() }
    }

    func sampleVerifier() throws -> MessageVerifier {
        MessageVerifier(trust: try TrustStore(caBundlePath: "\(pki)/ca-bundle.pem", crlPaths: ["\(pki)/crls.pem"]), schema: nil)
    }

    /// Every lane sends its next requests one at a time until `deadline` (nil: until its share is sent); the slice
    /// ends when the last response is in, so each slice includes its own drain.
    func runSlice(_ lanes: inout [Lane], verifier: MessageVerifier, until deadline: ContinuousClock.Instant?) async throws -> Slice {
        let clock = ContinuousClock()
        let start = clock.now
        let parts = try await withThrowingTaskGroup(of: (Int, Int, Histogram<UInt64>, Int).self) { group in
            for (index, lane) in lanes.enumerated() {
                group.addTask {
                    var histogram = Histogram<UInt64>(highestTrackableValue: Self.latencyMicrosecondsMax)
                    var next = lane.next
                    var verified = 0
                    while next < lane.requests.count, deadline.map({ clock.now < $0 }) ?? true {
                        let sent = clock.now
                        let response = try await lane.client.send(lane.requests[next])
                        let elapsed = clock.now - sent
                        _ = histogram.record(UInt64(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000))
                        if next % Self.verifyEvery == 0 {
                            let message = try verifier.verify(response)
                            guard message.head.retCode == RetCode.ok.rawValue else {
                                throw CLIError("response RetCode \(message.head.retCode ?? "?") for \(message.head.serialNo)")
                            }
                            verified += 1
                        }
                        next += 1
                    }
                    return (index, next, histogram, verified)
                }
            }
            var all: [(Int, Int, Histogram<UInt64>, Int)] = []
            for try await part in group { all.append(part) }
            return all
        }
        let elapsed = clock.now - start
        var slice = Slice(messages: 0, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                          latencies: Histogram<UInt64>(highestTrackableValue: Self.latencyMicrosecondsMax), verified: 0)
        for (index, next, histogram, verified) in parts {
            slice.messages += next - lanes[index].next
            lanes[index].next = next
            slice.latencies.add(histogram)
            slice.verified += verified
        }
        return slice
    }

    /// `--interleave-seconds`: two in-process daemons side by side, one with the audit log off and one with it on,
    /// loaded in turn for `seconds` each (`rounds` pairs, which one goes first alternating), so that this VM's drift
    /// in speed, which moves within seconds, hits both settings alike. Both daemons get the same signed requests
    /// (each has its own database). A first slice on each warms it up and is not counted.
    func runInterleaved(seconds: Double, logger: Logger) async throws {
        let requests = try signRequests()
        let off = try await target(logger: logger, auditOn: false)
        let on = try await target(logger: logger, auditOn: true)
        var lanes: [Bool: [Lane]] = [false: try await connect(host: off.0, port: off.1, requests: requests),
                                     true: try await connect(host: on.0, port: on.1, requests: requests)]
        let verifier = try sampleVerifier()
        var slices: [Bool: [Slice]] = [:]
        var exhausted = false
        let clock = ContinuousClock()
        for pair in 0...max(1, rounds) where !exhausted {
            for auditOn in pair % 2 == 0 ? [false, true] : [true, false] {
                let slice = try await runSlice(&lanes[auditOn, default: []], verifier: verifier, until: clock.now + .seconds(seconds))
                if lanes[auditOn, default: []].contains(where: { $0.next >= $0.requests.count }) { exhausted = true }
                if pair == 0 { continue }
                slices[auditOn, default: []].append(slice)
                print(String(format: "pair %d %@  %.0f messages/s (%d in %.2f s)  p50 %.2f ms  p99 %.2f ms", pair,
                             auditOn ? "audit on " : "audit off", slice.rate, slice.messages, slice.seconds,
                             slice.outcome.p50, slice.outcome.p99))
            }
        }
        for setting in [false, true] { await close(lanes[setting] ?? []) }
        await off.2()
        await on.2()
        let offSlices = slices[false] ?? [], onSlices = slices[true] ?? []
        let pairs = min(offSlices.count, onSlices.count)
        guard pairs > 0 else { throw CLIError("no complete pair of slices: raise --messages") }
        if exhausted, pairs < rounds { print("requests ran out after \(pairs) pairs: raise --messages for more") }
        let bound = try cryptoBound()
        print(String(format: "crypto bound %.0f messages/s (%d cores × 1/(1/verify %.0f + 1/sign %.0f))",
                     bound.rate, bound.cores, bound.verify, bound.sign))
        for (auditOn, runs) in [(false, offSlices), (true, onSlices)] {
            // Latencies over all of a setting's slices; the rate is the median slice's.
            var all = Slice(messages: 0, seconds: 0, latencies: Histogram<UInt64>(highestTrackableValue: Self.latencyMicrosecondsMax), verified: 0)
            for slice in runs {
                all.latencies.add(slice.latencies)
                all.verified += slice.verified
            }
            let rate = Self.median(runs.map(\.rate)), summary = all.outcome
            print(String(format: "median %@  %.0f messages/s = %.0f%% of the crypto bound  p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  verified sample %d",
                         auditOn ? "audit on " : "audit off", rate, 100 * rate / bound.rate, summary.p50, summary.p99, summary.p999,
                         summary.verified))
        }
        let costs = (0..<pairs).map { 100 * (1 - onSlices[$0].rate / offSlices[$0].rate) }
        let interval = Self.bootstrapMedianInterval(costs)
        print(String(format: "audit log cost (median of %d interleaved pairs of %.1f s slices): %.1f%% of throughput, bootstrap 95%% interval %.1f–%.1f%%",
                     pairs, seconds, Self.median(costs), interval.low, interval.high)
              + " (pairs: \(costs.map { String(format: "%.1f", $0) }.joined(separator: ", ")))")
    }

    /// The 2.5th and 97.5th percentiles of the median over 2,000 resamples with replacement (a fixed seed, so the
    /// same costs always give the same interval).
    static func bootstrapMedianInterval(_ values: [Double]) -> (low: Double, high: Double) {
        guard !values.isEmpty else { return (0, 0) }
        var generator = SplitMix64(seed: 0x5EED)
        let medians = (0..<2000).map { _ in
            median((0..<values.count).map { _ in values[Int(generator.next() % UInt64(values.count))] })
        }.sorted()
        return (medians[50], medians[1949])
    }
}

/// A small seeded generator (SplitMix64) for the bootstrap: reproducible, not for anything secret.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
