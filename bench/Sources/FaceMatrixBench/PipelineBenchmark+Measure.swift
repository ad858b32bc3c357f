import ArgumentParser
import FaceInference
import FaceMatrixConfiguration
import FaceMatrixCore
import FaceMatrixTestSupport
import FacePipeline
import Foundation
import ImageDecoding

/// The measurements: the pipeline per stage, the networks alone (replayed), and images per second with 1 and 2 callers.
extension PipelineBenchmark {
    func measure(
        photos: [[UInt8]],
        portrait: [UInt8],
        models: FaceModels,
        settings: PipelineSettings
    ) async throws -> ConfigurationResult {
        var settings = settings
        settings.inferenceWorkers = 2
        let inner = try settings.makeBackend(models: models)
        let backend = RecordingBackend(wrapping: inner)
        let pipeline = try FaceAnalysisPipeline(
            models: models,
            backend: backend,
            imageLimits: settings.imageLimits,
            detection: settings.detection
        )

        // Warm-up: first runs allocate the runtime's buffers for each new input shape.
        for photo in photos { _ = try await pipeline.analyze(photo) }
        _ = backend.takeCalls()

        // One caller: per-stage times, and the same network runs replayed on the runtime alone.
        var stages: [String: [Double]] = [:]
        var endToEnd = 0.0
        var pureNetwork = 0.0
        for _ in 0..<passes {
            for photo in photos {
                let analysis = try await pipeline.analyze(photo)
                for (stage, milliseconds) in analysis.timings.milliseconds {
                    stages[stage, default: []].append(milliseconds)
                }
                endToEnd += analysis.timings.total.milliseconds
                pureNetwork += try await replay(backend.takeCalls(), on: inner)
            }
        }

        let oneCaller = try await throughput(photos: photos, callers: 1, pipeline: pipeline, backend: backend)
        let twoCallers = try await throughput(photos: photos, callers: 2, pipeline: pipeline, backend: backend)

        var portraitTimes: [Double] = []
        var portraitNetwork: [Double] = []
        for _ in 0..<portraitRuns {
            let analysis = try await pipeline.analyze(portrait)
            portraitTimes.append(analysis.timings.total.milliseconds)
            portraitNetwork.append(try await replay(backend.takeCalls(), on: inner))
        }
        return ConfigurationResult(
            runtime: inner.runtimeDescription,
            intraOpThreads: settings.intraOpThreads,
            stagesMs: stages.mapValues(Distribution.init),
            endToEndMsTotal: endToEnd,
            pureNetworkMsTotal: pureNetwork,
            endToEndOverPureNetwork: endToEnd / pureNetwork,
            imagesPerSecond1Caller: oneCaller,
            imagesPerSecond2Callers: twoCallers,
            portrait640x480: Distribution(portraitTimes),
            portraitPureNetwork: Distribution(portraitNetwork)
        )
    }

    /// Runs the recorded calls one after the other on the backend alone; returns the milliseconds.
    func replay(_ calls: [RecordingBackend.Call], on backend: any InferenceBackend) async throws -> Double {
        let clock = ContinuousClock()
        var total = Duration.zero
        for call in calls {
            let started = clock.now
            _ = try await backend.run(model: call.model, inputs: call.inputs, outputs: call.outputs)
            total += clock.now - started
        }
        return total.milliseconds
    }

    /// Photos per second when `callers` clients keep the pipeline busy.
    func throughput(photos: [[UInt8]], callers: Int, pipeline: FaceAnalysisPipeline, backend: RecordingBackend)
        async throws
        -> Double
    {
        let work = Array(repeating: photos, count: passes).flatMap { $0 }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = work.makeIterator()
            for _ in 0..<callers {
                guard let photo = next.next() else { break }
                group.addTask { _ = try await pipeline.analyze(photo) }
            }
            while try await group.next() != nil {
                guard let photo = next.next() else { continue }
                group.addTask { _ = try await pipeline.analyze(photo) }
            }
        }
        _ = backend.takeCalls()
        let elapsed = (ContinuousClock.now - started).milliseconds / 1000
        return Double(work.count) / elapsed
    }
}
