/// What one connection's dispatcher has on its hands, shared with the framing's timers (event loop only).
///
/// A frame's read timeout (`frameReadTimeoutMs`) guards against clients that send slowly, not against the daemon
/// reading slowly: while the dispatcher holds reads (back-pressure at `inFlightPerConnectionMax`, or, on HTTP,
/// while a response is outstanding) the rest of a frame cannot arrive, so the timers wait another period instead
/// of cutting the connection — which would also throw away the responses of frames already executed.
final class ConnectionWork {
    let inFlightMax: Int
    /// Frames read and not yet answered.
    private(set) var inFlight = 0
    private var whenIdle: [() -> Void] = []

    init(inFlightMax: Int) {
        self.inFlightMax = inFlightMax
    }

    /// Classic framing: the dispatcher holds reads.
    var readsHeld: Bool { inFlight >= inFlightMax }

    /// HTTP: a response is still to be written (`HTTPServerPipelineHandler` reads the next request only after it).
    var responsesOutstanding: Bool { inFlight > 0 }

    func read() { inFlight += 1 }

    /// A response was written (or dropped on close); runs what waited for the last one.
    func answered() {
        inFlight -= 1
        guard inFlight == 0, !whenIdle.isEmpty else { return }
        let actions = whenIdle
        whenIdle = []
        actions.forEach { $0() }
    }

    /// Runs `action` once no response is outstanding: at once, or after the last one is written.
    func whenNoResponsesOutstanding(_ action: @escaping () -> Void) {
        if inFlight == 0 { action() } else { whenIdle.append(action) }
    }
}
