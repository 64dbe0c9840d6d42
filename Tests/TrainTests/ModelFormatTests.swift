import Foundation
import Testing
@testable import Train

@Suite struct ParameterTableTests {
    /// Every name and shape of a one-block MAP model, in order: timm's VisionTransformer's
    /// state_dict (class_token=False, global_pool='map', fc_norm=False), then `logit_scale`.
    @Test func namesAndShapesAreTimms() throws {
        let config = try ViTConfig(width: 16, depth: 1, heads: 2, patch: 8, imageSize: 32, embedding: 8).overriding([])
        let table = ParameterTable.clippo(config)
        let expected: [(String, [Int])] = [
            ("patch_embed.proj.weight", [16, 3, 8, 8]), ("patch_embed.proj.bias", [16]), ("pos_embed", [1, 16, 16]),
            ("blocks.0.norm1.weight", [16]), ("blocks.0.norm1.bias", [16]),
            ("blocks.0.attn.qkv.weight", [48, 16]), ("blocks.0.attn.qkv.bias", [48]),
            ("blocks.0.attn.proj.weight", [16, 16]), ("blocks.0.attn.proj.bias", [16]),
            ("blocks.0.norm2.weight", [16]), ("blocks.0.norm2.bias", [16]),
            ("blocks.0.mlp.fc1.weight", [64, 16]), ("blocks.0.mlp.fc1.bias", [64]),
            ("blocks.0.mlp.fc2.weight", [16, 64]), ("blocks.0.mlp.fc2.bias", [16]),
            ("norm.weight", [16]), ("norm.bias", [16]),
            ("attn_pool.latent", [1, 1, 16]), ("attn_pool.q.weight", [16, 16]), ("attn_pool.q.bias", [16]),
            ("attn_pool.kv.weight", [32, 16]), ("attn_pool.kv.bias", [32]),
            ("attn_pool.proj.weight", [16, 16]), ("attn_pool.proj.bias", [16]),
            ("attn_pool.norm.weight", [16]), ("attn_pool.norm.bias", [16]),
            ("attn_pool.mlp.fc1.weight", [64, 16]), ("attn_pool.mlp.fc1.bias", [64]),
            ("attn_pool.mlp.fc2.weight", [16, 64]), ("attn_pool.mlp.fc2.bias", [16]),
            ("head.weight", [8, 16]), ("head.bias", [8]), ("logit_scale", []),
        ]
        #expect(table.entries.map(\.name) == expected.map(\.0))
        #expect(table.entries.map(\.shape) == expected.map(\.1))
        // Offsets are contiguous in table order and cover the arena.
        var offset = 0
        for spec in table.entries { #expect(spec.offset == offset); offset += spec.count }
        #expect(offset == table.count)
        // Decay: matrices, the position embedding and the probe; not biases, norms or the temperature.
        #expect(table.entries.filter(\.decays).map(\.name) == ["patch_embed.proj.weight", "pos_embed", "blocks.0.attn.qkv.weight",
            "blocks.0.attn.proj.weight", "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc2.weight", "attn_pool.latent", "attn_pool.q.weight",
            "attn_pool.kv.weight", "attn_pool.proj.weight", "attn_pool.mlp.fc1.weight", "attn_pool.mlp.fc2.weight", "head.weight"])
    }

    /// Parameter counts of the named sizes against timm's published ones: vit_tiny/small/base_patch16_224
    /// have 5,717,416 / 22,050,664 / 86,567,656 with a class token, 197 positions and a 1000-way
    /// head; curate's GAP variant has no class token, 196 positions, a 768-wide head and the temperature.
    @Test(arguments: [("Ti/16", 192, 5_717_416), ("S/16", 384, 22_050_664), ("B/16", 768, 86_567_656)])
    func countsMatchTimm(name: String, width: Int, timm: Int) throws {
        let config = try ViTConfig.named(name).overriding(["pooling=gap"])
        let difference = -width - width - ((width + 1) * 1000 - (width + 1) * 768) + 1
        #expect(ParameterTable.clippo(config).count == timm + difference)
    }

    @Test func initialisationIsSeeded() throws {
        let table = ParameterTable.clippo(try ViTConfig.named("mu"))
        let a = Arena(count: table.count), b = Arena(count: table.count), c = Arena(count: table.count)
        table.initialize(a, seed: 1); table.initialize(b, seed: 1); table.initialize(c, seed: 2)
        #expect(Array(a.buffer) == Array(b.buffer))
        #expect(Array(a.buffer) != Array(c.buffer))
        #expect(a[table["logit_scale"]].pointee == log(10))
        #expect(a[table["norm.weight"]].pointee == 1 && a[table["head.bias"]].pointee == 0)
        // Xavier-uniform weights stay inside their bound.
        let qkv = table["blocks.0.attn.qkv.weight"], bound = Float((6.0 / Double(64 + 192)).squareRoot())
        #expect((0..<qkv.count).allSatisfy { abs(a[qkv][$0]) <= bound })
    }
}

@Suite struct ViTConfigTests {
    @Test func variantsAndOverrides() throws {
        #expect(try ViTConfig.named("ti/16") == ViTConfig(width: 192, depth: 12, heads: 3))
        let custom = try ViTConfig.named("S/16").overriding(["depth=6", "pooling=gap", "image-size=112", "initial-scale=14.28"])
        #expect(custom.depth == 6 && custom.pooling == .gap && custom.tokens == 49 && custom.initialScale == 14.28)
        #expect(throws: ModelError.self) { try ViTConfig.named("L/14") }
        #expect(throws: ModelError.self) { try ViTConfig.named("mu").overriding(["heads=3"]) }  // 64 % 3 != 0
        #expect(throws: ModelError.self) { try ViTConfig.named("mu").overriding(["patch=7"]) }  // 64 % 7 != 0
        #expect(throws: ModelError.self) { try ViTConfig.named("mu").overriding(["width"]) }
        #expect(throws: ModelError.self) { try ViTConfig.named("mu").overriding(["colour=red"]) }
        #expect(throws: ModelError.self) { try ViTConfig.named("mu").overriding(["pooling=cls"]) }
        do {
            _ = try ViTConfig.named("mu").overriding(["depth=-1"])
            Issue.record("a negative depth was accepted")
        } catch {
            #expect("\(error)".contains("depth") && "\(error)".contains("positive"))
        }
    }
}

@Suite struct SafetensorsTests {
    func temporaryPath(_ name: String) -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curate-train-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent(name).path
    }

    /// The header alone gives the metadata (the report reads checkpoints this way); a file cut
    /// inside its header, or one whose header is not JSON, is one error naming the file.
    @Test func metadataIsReadFromTheHeaderAlone() throws {
        let a: [Float] = [1, 2, 3]
        let bytes = a.withUnsafeBufferPointer { Safetensors.encode([.init(name: "w", shape: [3], values: $0)], metadata: ["curate.train.options": "{\"steps\":2}", "é": "\u{1}"]) }
        let path = temporaryPath("m.safetensors")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try Safetensors.metadata(path) == ["curate.train.options": "{\"steps\":2}", "é": "\u{1}"])
        try Data(bytes.prefix(20)).write(to: URL(fileURLWithPath: path))
        #expect(throws: SafetensorsError.self) { try Safetensors.metadata(path) }
        try Data([8, 0, 0, 0, 0, 0, 0, 0] + Array("not json".utf8)).write(to: URL(fileURLWithPath: path))
        #expect(throws: SafetensorsError.self) { try Safetensors.metadata(path) }
        #expect(throws: SafetensorsError.self) { try Safetensors.metadata(path + ".missing") }
    }

    @Test func roundTripWithMetadataAndLayout() throws {
        let a: [Float] = [1, -2, 3.5, 0, 5, 6], b: [Float] = [7]
        let bytes = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                Safetensors.encode([.init(name: "w", shape: [2, 3], values: pa), .init(name: "scalar", shape: [], values: pb)],
                                   metadata: ["note": "quote \" backslash \\ newline \n tab \t é"])
            }
        }
        // Layout: an 8-byte little-endian header length, the header padded to 8, then the data.
        let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect(headerLength % 8 == 0 && bytes.count == 8 + headerLength + 7 * 4)
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as! [String: Any]
        #expect((header["w"] as! [String: Any])["data_offsets"] as! [Int] == [0, 24])
        let file = try Safetensors.decode(bytes, path: "memory")
        #expect(file.tensors["w"]!.values == a && file.tensors["w"]!.shape == [2, 3])
        #expect(file.tensors["scalar"]!.values == b && file.tensors["scalar"]!.shape == [])
        #expect(file.metadata["note"] == "quote \" backslash \\ newline \n tab \t é")
        #expect(file.order == ["w", "scalar"])
    }

    /// One bad file per way a file can be bad: each is an error naming the file, never a crash.
    @Test func malformedFilesAreErrors() throws {
        let good: [Float] = [1, 2]
        let bytes = good.withUnsafeBufferPointer { Safetensors.encode([.init(name: "w", shape: [2], values: $0)], metadata: [:]) }
        func header(_ json: String, data: Int) -> [UInt8] {
            var h = Array(json.utf8)
            while h.count % 8 != 0 { h.append(0x20) }
            return withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init) + h + [UInt8](repeating: 0, count: data)
        }
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("truncated data", Array(bytes.dropLast(4))),
            ("header longer than the file", [255, 255, 0, 0, 0, 0, 0, 0] + Array(bytes.dropFirst(8))),
            ("not JSON", header("{nope", data: 8)),
            ("wrong dtype", header(#"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, data: 4)),
            ("shape and offsets disagree", header(#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: 8)),
            ("offsets past the end", header(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, data: 8)),
            ("overlapping", header(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8)),
            ("missing fields", header(#"{"w":{"dtype":"F32"}}"#, data: 8)),
        ]
        for (name, bytes) in cases {
            #expect(throws: SafetensorsError.self, "\(name)") { try Safetensors.decode(bytes, path: "bad.safetensors") }
        }
        #expect(throws: SafetensorsError.self) { try Safetensors.read("/nonexistent/x.safetensors") }
    }

    @Test func checkpointRoundTripAndChecks() throws {
        let model = CLIPPO(config: try ViTConfig.named("mu").overriding(["depth=1"]), seed: 4)
        let path = temporaryPath("model.safetensors")
        try Checkpoint.save(model, to: path)
        let (loaded, file) = try Checkpoint.load(path)
        #expect(loaded.config == model.config)
        #expect(Array(loaded.parameters.buffer) == Array(model.parameters.buffer))
        #expect(file.metadata["format"] == "pt" && file.metadata[Checkpoint.versionKey] != nil)
        // No partial file is left beside it.
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["model.safetensors"])

        // A tensor missing, a wrong shape, no config: one-line errors that say which.
        func rewrite(drop: String? = nil, reshape: String? = nil, metadata: [String: String]? = nil) throws -> String {
            let entries = Checkpoint.entries(model).filter { $0.name != drop }.map { entry in
                entry.name == reshape ? Safetensors.Entry(name: entry.name, shape: [entry.values.count], values: entry.values) : entry
            }
            let bad = temporaryPath("bad.safetensors")
            try Safetensors.write(entries, metadata: metadata ?? Checkpoint.metadata(model.config), to: bad)
            return bad
        }
        for (path, words) in [(try rewrite(drop: "head.bias"), "'head.bias' is missing"),
                              (try rewrite(reshape: "pos_embed"), "'pos_embed' has shape"),
                              (try rewrite(metadata: ["format": "pt"]), "not a curate checkpoint"),
                              (try rewrite(metadata: [Checkpoint.configKey: "{\"width\": 1}"]), "does not decode")] {
            do {
                _ = try Checkpoint.load(path)
                Issue.record("\(path) loaded")
            } catch {
                #expect("\(error)".contains(words), "\(error)")
                #expect(!"\(error)".contains("\n"))
            }
        }
    }
}
