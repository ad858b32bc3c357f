import ArgumentParser
import FaceInference
import FaceMatrixConfiguration
import FaceMatrixCore
import FaceMatrixTestSupport
import FacePipeline
import Foundation
import ImageDecoding
import ONNXRuntime

/// The measurements: the pipeline per stage, the networks alone (replayed), and images per second with 1 and 2 callers.
extension PipelineBenchmark {
    func measure(
        photos: [[UInt8]],
        portrait: [UInt8],
        models: FaceModels,
        settings: PipelineSettings,
        intraOpThreads: Int
    ) async throws -> ConfigurationResult {
        let environment = try ONNXRuntimeEnvironment.shared()
        let options = SessionOptions(intraOpThreads: intraOpThreads)
        let backend = RecordingBackend(
            wrapping: try ONNXRuntimeBackend(
                environment: environment,
                models: models.paths,
                options: options,
                concurrentRuns: 2
            )
        )
        let pipeline = try FaceAnalysisPipeline(
            models: models,
            backend: backend,
            imageLimits: settings.imageLimits,
            detection: settings.detection
        )
        let sessions = try models.paths.mapValues {
            try ONNXRuntimeSession(environment: environment, modelPath: $0, options: options)
        }

        // Warm-up: first runs allocate ONNX Runtime's buffers for each new input shape.
        for photo in photos { _ = try await pipeline.analyze(photo) }
        _ = backend.takeCalls()

        // One caller: per-stage times, and the same network runs replayed on ONNX Runtime alone.
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
                pureNetwork += try replay(backend.takeCalls(), on: sessions)
            }
        }

        let oneCaller = try await throughput(photos: photos, callers: 1, pipeline: pipeline, backend: backend)
        let twoCallers = try await throughput(photos: photos, callers: 2, pipeline: pipeline, backend: backend)

        var portraitTimes: [Double] = []
        var portraitNetwork: [Double] = []
        for _ in 0..<portraitRuns {
            let analysis = try await pipeline.analyze(portrait)
            portraitTimes.append(analysis.timings.total.milliseconds)
            portraitNetwork.append(try replay(backend.takeCalls(), on: sessions))
        }
        return ConfigurationResult(
            intraOpThreads: intraOpThreads,
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

    /// Runs the recorded calls one after the other directly on ONNX Runtime sessions; returns the milliseconds.
    func replay(_ calls: [RecordingBackend.Call], on sessions: [String: ONNXRuntimeSession]) throws -> Double {
        let clock = ContinuousClock()
        var total = Duration.zero
        for call in calls {
            let session = sessions[call.model]!
            let started = clock.now
            _ = try session.run(call.inputs, outputNames: call.outputs)
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
