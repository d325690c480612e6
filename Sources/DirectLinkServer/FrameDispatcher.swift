import DirectLinkMessage
import NIOCore

/// Hands each frame to the processor off the event loop, writes responses in request order, pauses reading at
/// `inFlightPerConnectionMax`, and on quiesce (SIGTERM) stops reading and closes once everything in flight is written.
final class FrameDispatcher: ChannelDuplexHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundIn = Never
    typealias OutboundOut = OutboundFrame

    private let processor: any FrameProcessor
    private let connection: ConnectionInfo
    private let inFlightMax: Int
    private let tracker: InFlightTracker
    private var nextSequence: UInt64 = 0
    private var nextToWrite: UInt64 = 0
    /// Responses waiting for their turn; nil: nothing may be sent for that frame, and the connection closes there.
    private var finished: [UInt64: [UInt8]?] = [:]
    /// Frames read and not yet answered (reading pauses at the limit) …
    private var inFlight = 0
    /// … of which this many are being processed (at most the limit), the rest waiting in read order.
    private var running = 0
    private var waiting: [(UInt64, InboundFrame)] = []
    private var readPending = false
    /// The last response handed to the channel: a close waits for it (a close fails writes still pending).
    private var lastWrite: EventLoopFuture<Void>?
    private var quiescing = false
    private var closed = false
    /// An unreadable frame was met: nothing more is read; the frames before it are still answered, then the plain
    /// error goes out and the connection closes.
    private var refused = false

    private let work: ConnectionWork

    init(processor: any FrameProcessor, connection: ConnectionInfo, work: ConnectionWork, tracker: InFlightTracker) {
        self.processor = processor
        self.connection = connection
        self.inFlightMax = work.inFlightMax
        self.work = work
        self.tracker = tracker
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !quiescing, !closed, !refused else { return }
        let sequence = nextSequence
        nextSequence += 1
        inFlight += 1
        work.read()
        // One read can hold many frames, all decoded at once: pausing reads alone would not bound the work.
        if running < inFlightMax {
            start(unwrapInboundIn(data), sequence, context: context)
        } else {
            waiting.append((sequence, unwrapInboundIn(data)))
        }
    }

    /// `counted: false` when the frame takes over the tracker's count of one that just finished.
    private func start(_ frame: InboundFrame, _ sequence: UInt64, context: ChannelHandlerContext, counted: Bool = true) {
        running += 1
        if counted { tracker.started() }
        let processor = self.processor
        let connection = self.connection
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        Task {
            let response = await processor.process(frame.bytes, connection: connection)
            eventLoop.execute {
                let (handler, context) = loopBound.value
                handler.finish(sequence, response, context: context)
            }
        }
    }

    private func finish(_ sequence: UInt64, _ response: [UInt8]?, context: ChannelHandlerContext) {
        running -= 1
        finished[sequence] = response
        // The next waiting frame takes over this one's place in the tracker's count, so a drain never sees zero in
        // between and the count never exceeds what is being processed.
        var handedOver = false
        while running < inFlightMax, !closed, !waiting.isEmpty {
            let (next, frame) = waiting.removeFirst()
            start(frame, next, context: context, counted: handedOver)
            handedOver = true
        }
        if !handedOver { tracker.finished() }
        var wroteNow = false
        var written = 0
        var closeAfterWrites = false
        while let response = finished.removeValue(forKey: nextToWrite) {
            nextToWrite += 1
            inFlight -= 1
            written += 1
            guard !closed else { continue }
            if let bytes = response {
                let promise = context.eventLoop.makePromise(of: Void.self)
                context.write(wrapOutboundOut(OutboundFrame(bytes: bytes)), promise: promise)
                lastWrite = promise.futureResult
                wroteNow = true
            } else {
                // No answer may be sent for this frame (its audit record failed): the ones before it go out, then close.
                closed = true
                closeAfterWrites = true
            }
        }
        if wroteNow { context.flush() }
        if closeAfterWrites {
            let channel = context.channel
            (lastWrite ?? context.eventLoop.makeSucceededVoidFuture()).whenComplete { _ in channel.close(promise: nil) }
        }
        // After the flush: what waits for the last response (an HTTP refusal) goes out behind it.
        for _ in 0..<written { work.answered() }
        if quiescing && inFlight == 0 && !closed && !refused {
            // Close only once the last response has reached the socket: a close fails writes still pending.
            closed = true
            let channel = context.channel
            (lastWrite ?? context.eventLoop.makeSucceededVoidFuture()).whenComplete { _ in channel.close(promise: nil) }
        } else if readPending && inFlight < inFlightMax {
            readPending = false
            context.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        // Backpressure: while too many requests are in flight, hold the read until one finishes.
        if refused {
            return
        } else if inFlight >= inFlightMax || quiescing {
            readPending = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            if inFlight == 0 && !refused {
                closed = true
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        context.fireChannelInactive()
    }

    /// An unreadable frame: stop reading; record it and the plain error frame in the audit log; once that is durable
    /// and every frame read before it has been answered (responses stay in request order), send the error, then
    /// close — without sending anything when the record failed.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard !closed, !refused else { return }
        refused = true
        // Nothing more is read: every frame before the unreadable one is in `nextSequence`.
        let owed = Int(nextSequence)
        let frameError = error as? FrameError ?? FrameError(code: .frameMalformed, reason: "unreadable input")
        let payload = frameError.payload
        let (processor, connection) = (self.processor, self.connection)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        Task {
            let recorded = await processor.unreadable(frameError.received, response: payload, code: frameError.code,
                                                      correlationId: frameError.correlationId, connection: connection)
            eventLoop.execute {
                let (handler, context) = loopBound.value
                handler.work.whenAnswered(owed) {
                    guard !handler.closed else { return }
                    handler.closed = true
                    guard recorded else {
                        // No error without its record: the responses owed before it go out, then the close.
                        let channel = context.channel
                        (handler.lastWrite ?? context.eventLoop.makeSucceededVoidFuture()).whenComplete { _ in channel.close(promise: nil) }
                        return
                    }
                    context.writeAndFlush(handler.wrapOutboundOut(OutboundFrame(bytes: payload))).whenComplete { [channel = context.channel] _ in
                        channel.close(promise: nil)
                    }
                }
            }
        }
    }
}
