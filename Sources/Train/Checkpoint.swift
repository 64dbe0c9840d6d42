// A curate checkpoint is a safetensors file whose tensors are the parameter table's entries,
// named and shaped as timm's VisionTransformer names and shapes them (so
// `timm...VisionTransformer(...).load_state_dict(...)` takes the tower's tensors as they are),
// plus `logit_scale` (the log-temperature, open_clip's name). The model config is in the metadata
// under `curate.config` (JSON), so a checkpoint is enough to rebuild its model.
import Foundation
import CurateCore

public enum Checkpoint {
    /// Metadata keys.
    public static let configKey = "curate.config"
    public static let versionKey = "curate.version"

    /// The tensors and metadata of a model's checkpoint, optionally with extra tensors (the
    /// trainer's optimizer state) and metadata.
    public static func entries(_ model: CLIPPO) -> [Safetensors.Entry] {
        model.table.entries.map { Safetensors.Entry(name: $0.name, shape: $0.shape, values: UnsafeBufferPointer(start: model.parameters[$0], count: $0.count)) }
    }

    public static func metadata(_ config: ViTConfig) -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try! encoder.encode(config), as: UTF8.self)
        return ["format": "pt", configKey: json, versionKey: CurateVersion.string]
    }

    public static func save(_ model: CLIPPO, to path: String, extra: [Safetensors.Entry] = [], metadata: [String: String] = [:]) throws {
        try Safetensors.write(entries(model) + extra, metadata: self.metadata(model.config).merging(metadata) { _, new in new }, to: path)
    }

    /// The model a checkpoint holds, with every parameter checked by name and shape.
    public static func load(_ path: String) throws -> (model: CLIPPO, file: Safetensors.File) {
        let file = try Safetensors.read(path)
        func fail(_ problem: String) -> SafetensorsError { SafetensorsError(path: path, problem: problem) }
        guard let json = file.metadata[configKey] else { throw fail("no '\(configKey)' in the metadata, so not a curate checkpoint") }
        let config: ViTConfig
        do { config = try JSONDecoder().decode(ViTConfig.self, from: Data(json.utf8)) } catch { throw fail("its '\(configKey)' does not decode (\(error))") }
        do { try config.validate() } catch { throw fail("\(error)") }
        let model = CLIPPO(config: config)
        for spec in model.table.entries {
            guard let tensor = file.tensors[spec.name] else { throw fail("tensor '\(spec.name)' is missing") }
            guard tensor.shape == spec.shape else { throw fail("tensor '\(spec.name)' has shape \(tensor.shape), the config needs \(spec.shape)") }
            tensor.values.withUnsafeBufferPointer { model.parameters[spec].update(from: $0.baseAddress!, count: spec.count) }
        }
        return (model, file)
    }
}
