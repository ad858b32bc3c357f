// What every fuzz target needs around its callback. `make fuzz` (scripts/fuzz.sh) builds the targets with
// `-sanitize=fuzzer,address -DFUZZING`; an ordinary build of the package compiles them too, without libFuzzer.
import Foundation

/// A fuzz target's callback: one input, 0 when it was handled (a trap is what the fuzzer looks for).
public typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

#if FUZZING
    @_silgen_name("LLVMFuzzerRunDriver")
    private func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: FuzzCallback
    ) -> CInt
#endif

/// Hands the process to libFuzzer's driver with `callback`. SwiftPM links every executable with `main` defined as
/// the module's entry function, so libFuzzer's own `main` is never pulled from its archive; the target's `@main`
/// calls this instead. Without `-DFUZZING` it only says how to fuzz.
public func runFuzzer(_ name: String, _ callback: FuzzCallback) -> Never {
    #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv, callback))
    #else
        print("\(name) is a libFuzzer target: run `make fuzz`.")
        exit(0)
    #endif
}
