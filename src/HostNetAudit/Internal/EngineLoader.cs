using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using HostNetAudit.Abstractions;

namespace HostNetAudit.Internal;

/// <summary>
/// Loads HostNetAudit.Engine and its third-party dependencies (KubernetesClient, YamlDotNet, Fractions,
/// Cel, ...) from Dependencies/ into a private AssemblyLoadContext, so that other versions of those
/// assemblies in the session (other modules) neither break us nor are broken by us.
/// </summary>
internal static class EngineLoader
{
    private const string EngineAssemblyName = "HostNetAudit.Engine";
    private const string EngineTypeName = "HostNetAudit.Engine.HostNetAuditEngine";
    private static readonly object Gate = new();
    private static IHostNetAuditEngine? engine;

    public static IHostNetAuditEngine Engine
    {
        get
        {
            lock (Gate)
            {
                return engine ??= Load();
            }
        }
    }

    public static string DependencyDirectory =>
        Path.Combine(Path.GetDirectoryName(typeof(EngineLoader).Assembly.Location) ?? ".", "Dependencies");

    private static IHostNetAuditEngine Load()
    {
        var dependencies = DependencyDirectory;
        var enginePath = Path.Combine(dependencies, EngineAssemblyName + ".dll");
        if (!File.Exists(enginePath))
        {
            throw new HostNetAuditException(
                "EngineNotFound",
                FailureCategory.ResourceUnavailable,
                enginePath,
                $"The module's engine was not found at '{enginePath}'. Reinstall the module or run ./build.ps1.");
        }

        var context = new EngineLoadContext(dependencies);
        var assembly = context.LoadFromAssemblyPath(enginePath);
        var type = assembly.GetType(EngineTypeName, throwOnError: true)!;
        return (IHostNetAuditEngine)Activator.CreateInstance(type)!;
    }

    private sealed class EngineLoadContext : AssemblyLoadContext
    {
        private static readonly string FrameworkDirectory = RuntimeEnvironment.GetRuntimeDirectory();
        private readonly string directory;

        public EngineLoadContext(string directory)
            : base("HostNetAudit.Engine", isCollectible: false)
        {
            this.directory = directory;
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            var name = assemblyName.Name;
            if (name is null)
            {
                return null;
            }

            // The contract assembly is shared with the default context: one identity for output types.
            if (string.Equals(name, typeof(EngineLoader).Assembly.GetName().Name, StringComparison.Ordinal))
            {
                return typeof(EngineLoader).Assembly;
            }

            // Framework assemblies come from the runtime that PowerShell runs on.
            if (File.Exists(Path.Combine(FrameworkDirectory, name + ".dll")))
            {
                return null;
            }

            var candidate = Path.Combine(directory, name + ".dll");
            return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
        }
    }
}
