import ArgumentParser

@main
struct FaceMatrixCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facematrix",
        abstract: "Face recognition service: detect, embed and recognise faces.",
        subcommands: [
            ServeCommand.self, DetectCommand.self, EmbedCommand.self, CompareCommand.self, EvaluateCommand.self,
            EnrollFolderCommand.self, KeysCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )
}
