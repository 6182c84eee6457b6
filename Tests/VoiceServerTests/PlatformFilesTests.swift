import Foundation
import HTTPTypes
import HummingbirdTesting
import ServerConfiguration
import Testing
import VoiceTesting

@testable import VoiceServer

/// Issue 16: every platform file names only what the server has — its readiness route, its variables, its
/// subcommands, its port — and waits long enough after `SIGTERM` for the drain. JSON is read here; TOML and YAML by
/// Python (`tomllib`, PyYAML), which `.ci/run` installs with the MCP SDK (`MCP_INTEROP_PYTHON`).
@Suite struct PlatformFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let variables = Set(ConfigurationVariable.allCases.map(\.name))
    static let readinessPath = "/health/ready"
    /// What a platform must wait after `SIGTERM` beyond `DRAIN_SECONDS`: the goodbye and a margin.
    static let afterDrain = 25

    static func text(_ name: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
    }

    static func json(_ name: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(try text(name).utf8)) as? [String: Any])
    }

    /// A TOML or YAML file as JSON, read by Python; `nil` (skipped, said) outside CI without one.
    static func parsed(_ name: String, as format: String) throws -> [String: Any]? {
        guard let python = ProcessInfo.processInfo.environment["MCP_INTEROP_PYTHON"] else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("MCP_INTEROP_PYTHON is not set under CI: \(name) was not read")
            } else {
                print("Skipped reading \(name): set MCP_INTEROP_PYTHON to a python with PyYAML")
            }
            return nil
        }
        let reader =
            format == "toml"
            ? "import json,sys,tomllib; print(json.dumps(tomllib.load(open(sys.argv[1],'rb'))))"
            : "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", reader, root.appendingPathComponent(name).path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(name) could not be read")
        return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Whether the built executable has `subcommand`.
    static func hasSubcommand(_ subcommand: String) throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try VoiceServerProcess.builtBesideTests)
        process.arguments = [subcommand, "--help"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    @Test func theReadinessRouteTheFilesNameAnswers() async throws {
        try await withVoiceServer { client, _ in
            try await client.execute(uri: Self.readinessPath, method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func railwayRoutesByReadinessAndWaitsForTheDrain() throws {
        let deploy = try #require(try Self.json("railway.json")["deploy"] as? [String: Any])
        #expect(deploy["healthcheckPath"] as? String == Self.readinessPath)
        #expect((deploy["drainingSeconds"] as? Int ?? 0) >= 300 + Self.afterDrain)
        #expect(
            try Self.json("railway.json")["build"].flatMap { ($0 as? [String: Any])?["builder"] } as? String
                == "DOCKERFILE"
        )
    }

    @Test func herokuNamesOnlyOurVariablesAndFitsItsThirtySeconds() throws {
        let app = try Self.json("app.json")
        let env = try #require(app["env"] as? [String: [String: Any]])
        #expect(Set(env.keys).isSubset(of: Self.variables), "\(Set(env.keys).subtracting(Self.variables))")
        let drain = Int(env["DRAIN_SECONDS"]?["value"] as? String ?? "") ?? 300
        #expect(drain + Self.afterDrain <= 30)
        let addons = try #require(app["addons"] as? [[String: Any]])
        #expect(addons.contains { ($0["plan"] as? String)?.hasPrefix("heroku-postgresql") == true })
        let web = try #require(try Self.text("Procfile").split(separator: "\n").first { $0.hasPrefix("web:") })
        #expect(web.contains("$PORT"))
        #expect(try Self.hasSubcommand("serve"))
        #expect(try Self.text(".swift-version").trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("6.3"))
    }

    @Test func renderRoutesByReadinessWithItsDatabaseAndWaitsForTheDrain() throws {
        guard let blueprint = try Self.parsed("render.yaml", as: "yaml") else { return }
        let service = try #require((blueprint["services"] as? [[String: Any]])?.first)
        #expect(service["runtime"] as? String == "docker")
        #expect(service["healthCheckPath"] as? String == Self.readinessPath)
        let envVars = try #require(service["envVars"] as? [[String: Any]])
        let keys = Set(envVars.compactMap { $0["key"] as? String })
        #expect(keys.isSubset(of: Self.variables), "\(keys.subtracting(Self.variables))")
        let drain = Int(envVars.first { $0["key"] as? String == "DRAIN_SECONDS" }?["value"] as? String ?? "") ?? 300
        let shutdown = service["maxShutdownDelaySeconds"] as? Int ?? 30
        #expect(shutdown <= 300 && drain + Self.afterDrain <= shutdown)
        let database = envVars.first { $0["key"] as? String == "DATABASE_URL" }?["fromDatabase"] as? [String: Any]
        let databases = try #require(blueprint["databases"] as? [[String: Any]])
        #expect(databases.contains { $0["name"] as? String == database?["name"] as? String })
        // Secrets are asked for, never written in the file.
        for secret in ["OPENAI_API_KEY", "TWILIO_AUTH_TOKEN"] {
            #expect(envVars.first { $0["key"] as? String == secret }?["sync"] as? Bool == false)
        }
    }

    @Test func flyChecksReadinessKeepsAMachineUpAndWaitsForTheDrain() throws {
        guard let fly = try Self.parsed("fly.toml", as: "toml") else { return }
        #expect(fly["kill_signal"] as? String == "SIGTERM")
        let env = try #require(fly["env"] as? [String: String])
        #expect(Set(env.keys).isSubset(of: Self.variables))
        let drain = Int(env["DRAIN_SECONDS"] ?? "") ?? 300
        #expect(drain + Self.afterDrain <= (fly["kill_timeout"] as? Int ?? 5))
        let http = try #require(fly["http_service"] as? [String: Any])
        #expect(http["internal_port"] as? Int == Int(env["PORT"] ?? ""))
        #expect(http["auto_stop_machines"] as? String == "off")
        let checks = try #require(http["checks"] as? [[String: Any]])
        #expect(checks.allSatisfy { $0["path"] as? String == Self.readinessPath })
    }

    @Test func composeRunsOurSubcommandsWithOurVariablesAndWaitsForTheDrain() throws {
        guard let compose = try Self.parsed("compose.yaml", as: "yaml") else { return }
        let services = try #require(compose["services"] as? [String: [String: Any]])
        let voice = try #require(services["voice-server"])
        let env = try #require(voice["environment"] as? [String: Any])
        #expect(Set(env.keys).isSubset(of: Self.variables))
        let grace = (voice["stop_grace_period"] as? String).flatMap { Int($0.dropLast()) } ?? 10
        #expect(grace >= 300 + Self.afterDrain)
        let command = try #require(services["booking-mcp"]?["command"] as? [String])
        #expect(try Self.hasSubcommand(try #require(command.first)))
    }

    @Test func theImageRunsTheServerAsPIDOneAndChecksReadiness() throws {
        let dockerfile = try Self.text("Dockerfile")
        #expect(dockerfile.contains(#"ENTRYPOINT ["./voice-server"]"#))
        #expect(dockerfile.contains(#"CMD ["./voice-server", "healthcheck"]"#))
        #expect(try Self.hasSubcommand("healthcheck"))
        #expect(dockerfile.contains("--static-swift-stdlib"))
        #expect(dockerfile.contains("USER voice"))
        #expect(dockerfile.contains("EXPOSE 8080") && dockerfile.contains("PORT=8080"))
        let ignored = try Self.text(".dockerignore").split(separator: "\n")
        #expect(Set(["data", ".env", ".build"]).isSubset(of: Set(ignored.map(String.init))))
    }
}
