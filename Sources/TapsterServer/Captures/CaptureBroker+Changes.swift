import Logging
import TapsterCore
import TapsterStore

extension CaptureBroker {
    /// Ends the captures whose taps ended, as the change feed tells — a tap stopped or expired by this
    /// replica or by another (whose changes arrive through the relay between replicas): the capture ends
    /// once the agents' last batches are in, with `deadline` for an expired tap and `stopped` otherwise.
    /// On a resync (changes were missed) every running capture's tap is read again. Runs until cancelled.
    ///
    /// The taps of captures waiting for approval here (``awaitApproval(_:)``) are handed to the recorder, which starts
    /// each once approved and ends it once its request ended (`CaptureService.settlePendingCapture`).
    ///
    /// Subscribe (``ChangeFeed/subscribe()``) before the captures it must watch begin.
    func follow(_ changes: ChangeFeed.Subscription, taps store: any Store) async {
        for await event in changes {
            switch event {
            case .change(.tap(let id, _)):
                if awaitingApproval.contains(id) {
                    await recorder?.pendingCaptureChanged(id)
                    continue
                }
                guard runningCaptures.contains(id) else { continue }
                await endIfTapEnded(id, store: store)
            case .resync, .change(.everything):
                for id in awaitingApproval.sorted() { await recorder?.pendingCaptureChanged(id) }
                for id in runningCaptures { await endIfTapEnded(id, store: store) }
            case .change:
                continue
            }
        }
    }

    /// Reads the capture's tap; ends the capture when the tap is no longer live (or gone).
    private func endIfTapEnded(_ id: String, store: any Store) async {
        let tap: Tap?
        do {
            tap = try await store.findTap(id: id)
        } catch {
            // The capture's own deadline still ends it; the next change or resync reads again.
            logger.warning("reading a capture's tap failed", metadata: ["capture": "\(id)", "error": "\(error)"])
            return
        }
        guard let state = tap?.state else {
            await tapEnded(id, reason: .stopped)
            return
        }
        guard state.isEnded else { return }
        await tapEnded(id, reason: state == .expired ? .deadline : .stopped)
    }
}
