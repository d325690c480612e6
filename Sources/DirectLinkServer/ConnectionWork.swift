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
    /// Responses written (or dropped on close) since the connection opened: the n-th request is answered once this
    /// exceeds n − 1.
    private(set) var answeredTotal = 0
    private var whenAnswered: [(count: Int, action: () -> Void)] = []

    init(inFlightMax: Int) {
        self.inFlightMax = inFlightMax
    }

    /// Classic framing: the dispatcher holds reads.
    var readsHeld: Bool { inFlight >= inFlightMax }

    /// HTTP: a response is still to be written (`HTTPServerPipelineHandler` reads the next request only after it).
    var responsesOutstanding: Bool { inFlight > 0 }

    func read() { inFlight += 1 }

    /// A response was written (or dropped on close); runs what waited for it.
    func answered() {
        inFlight -= 1
        answeredTotal += 1
        guard !whenAnswered.isEmpty else { return }
        let due = whenAnswered.filter { $0.count <= answeredTotal }
        whenAnswered.removeAll { $0.count <= answeredTotal }
        due.forEach { $0.action() }
    }

    /// Runs `action` once the first `count` requests of the connection have been answered: at once, or after the
    /// `count`-th response is written. (HTTP: a request held by the pipeline handler behind an earlier response has
    /// not reached the dispatcher, so `inFlight` does not count it yet.)
    func whenAnswered(_ count: Int, _ action: @escaping () -> Void) {
        if answeredTotal >= count { action() } else { whenAnswered.append((count, action)) }
    }
}
