// The deployment files checked against each other and against the app, without a cluster or an engine:
// deploy/k8s, compose.yaml and deploy/Dockerfile must parse and refer only to objects, keys, labels,
// ports, images, projects and options that exist. deploy/compose-e2e.sh runs the real thing.
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DistTrain.Training.Configuration;
using DistTrain.Training.Distributed;
using DistTrain.Training.Observability;
using DistTrain.Training.ParameterShards;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace DistTrain.EndToEnd.Tests;

public sealed partial class DeploymentManifestTests
{
    private static readonly string Root = Disttrain.RepositoryRoot;
    private static readonly string K8sFolder = Path.Combine(Root, "deploy", "k8s");

    // Options whose value in compose.yaml or the ConfigMap differs from the app's default on purpose.
    private static readonly HashSet<string> DeploymentDefaults = new(StringComparer.Ordinal)
    {
        "Coordinator__MinWorkers", "Training__DataDir", "Training__Out", "Worker__Coordinator", "Dashboard__Url", "Worker__Metrics",
        "ParameterServer__Coordinator",
    };

    [Fact]
    public void EveryManifestIsANamedKubernetesObject()
    {
        var manifests = Parse(K8sTexts());
        Assert.NotEmpty(manifests);
        Assert.All(manifests, m =>
        {
            Assert.False(string.IsNullOrEmpty(m.Root["apiVersion"].Text), $"{m.File}: no apiVersion");
            Assert.False(string.IsNullOrEmpty(m.Kind), $"{m.File}: no kind");
            Assert.True(m.Kind == "Kustomization" || !string.IsNullOrEmpty(m.Name), $"{m.File}: no metadata.name");
        });
        var kinds = manifests.Select(m => m.Kind).ToHashSet();
        Assert.Superset(new HashSet<string?> { "ConfigMap", "Secret", "Service", "Job", "Deployment", "StatefulSet", "Kustomization" }, kinds);
    }

    [Fact]
    public void ManifestsReferOnlyToObjectsKeysLabelsPortsAndOptionsThatExist()
        => Assert.Empty(ManifestCheck.Problems(Parse(K8sTexts())));

    [Theory]
    [InlineData("coordinator-job.yaml", "claimName: disttrain-runs", "claimName: disttrain-gone", "PersistentVolumeClaim disttrain-gone")]
    [InlineData("worker-deployment.yaml", "name: disttrain-config", "name: disttrain-cfg", "ConfigMap disttrain-cfg")]
    [InlineData("coordinator-job.yaml", "key: auth-token", "key: token", "key token")]
    [InlineData("coordinator-job.yaml", "mountPath: /out", "mountPath: /out\n            - name: scratch\n              mountPath: /tmp", "volume scratch")]
    [InlineData("coordinator-service.yaml", "targetPort: grpc", "targetPort: grpcs", "targetPort grpcs")]
    [InlineData("coordinator-service.yaml", "component: coordinator\n  ports", "component: coordinators\n  ports", "selects no pod")]
    [InlineData("worker-deployment.yaml", "component: worker\n  template", "component: workers\n  template", "selector")]
    [InlineData("worker-deployment.yaml", "image: disttrain:latest", "image: disttrain:old", "disttrain:old")]
    [InlineData("worker-deployment.yaml", "127.0.0.1:50052", "127.0.0.1:50053", "127.0.0.1:50053")]
    [InlineData("worker-deployment.yaml", "              memory: 150Mi\n", "", "memory request")]
    [InlineData("configmap.yaml", "http://disttrain-coordinator:50051", "http://coordinator:50051", "Service coordinator")]
    [InlineData("configmap.yaml", "Training__Epochs:", "Training__Epoch:", "Training__Epoch")]
    [InlineData("configmap.yaml", "Training__Seed: \"1\"", "Training__Seed: \"2\"", "Training__Seed")]
    [InlineData("kustomization.yaml", "  - secret.yaml\n", "", "secret.yaml")]
    [InlineData("coordinator-job.yaml", "containerPort: 8080", "containerPort: 8081", "containerPort 8081")]
    [InlineData("coordinator-job.yaml", "name: dashboard", "name: web", "port web")]
    [InlineData("coordinator-service.yaml", "targetPort: dashboard", "targetPort: dash", "targetPort dash")]
    [InlineData("worker-deployment.yaml", "prometheus.io/port: \"9464\"", "prometheus.io/port: \"9465\"", "prometheus.io/port 9465")]
    [InlineData("coordinator-job.yaml", "prometheus.io/path: /metrics", "prometheus.io/path: /stats", "prometheus.io/path /stats")]
    [InlineData("configmap.yaml", "Dashboard__Url: \"http://0.0.0.0:8080\"", "Dashboard__Url: \"http://127.0.0.1:8080\"", "only inside the pod")]
    [InlineData("configmap.yaml", "ParameterServer__Coordinator: \"http://disttrain-coordinator:50051\"", "ParameterServer__Coordinator: \"http://disttrain-coordinator:50052\"", "has no port 50052")]
    [InlineData("configmap.yaml", "ParameterServer__Listen: \"http://0.0.0.0:50061\"", "ParameterServer__Listen: \"http://0.0.0.0:50062\"", "containerPort 50061 is not the port of ParameterServer__Listen")]
    [InlineData("parameter-server-statefulset.yaml", "serviceName: disttrain-parameter-server", "serviceName: disttrain-ps", "serviceName disttrain-ps")]
    [InlineData("parameter-server-statefulset.yaml", ".disttrain-parameter-server:50061", ".disttrain-coordinator:50061", "not a pod name under the headless Service")]
    [InlineData("parameter-server-statefulset.yaml", "- name: POD_NAME", "- name: POD", "POD names no option")]
    [InlineData("parameter-server-service.yaml", "  clusterIP: None\n", "", "not a pod name under the headless Service")]
    [InlineData("configmap.yaml", "Coordinator__ParameterShards: \"1\"", "Coordinator__ParameterShards: \"2\"", "Coordinator__ParameterShards")]
    public void ABrokenReferenceIsReported(string file, string find, string replace, string expected)
    {
        var texts = K8sTexts();
        Assert.Contains(find, texts[file], StringComparison.Ordinal);
        texts[file] = texts[file].Replace(find, replace, StringComparison.Ordinal);

        var problems = ManifestCheck.Problems(Parse(texts));

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void ComposeSetsEveryOptionWithTheAppsDefaultsVisible()
    {
        var compose = Compose();
        var coordinator = ServiceEnvironment(compose["services"]["coordinator"]);
        var worker = ServiceEnvironment(compose["services"]["worker"]);

        var wanted = OptionKeys(typeof(TrainingOptions), TrainingOptions.Section)
            .Concat(OptionKeys(typeof(CoordinatorOptions), CoordinatorOptions.Section))
            .Append("Logging__Format").Append("Security__AuthToken").Append("Transport__Kind").Append("Dashboard__Url");
        Assert.Empty(wanted.Except(coordinator.Keys));
        Assert.Equal(coordinator["Transport__Kind"], worker["Transport__Kind"]);
        // Name stays unset: the default (host name and process id) tells the replicas apart.
        Assert.Empty(OptionKeys(typeof(WorkerOptions), WorkerOptions.Section).Append("Worker__Listen").Except(worker.Keys).Except(["Worker__Name"]));
        var server = ServiceEnvironment(compose["services"]["parameter-server"]);
        Assert.Empty(OptionKeys(typeof(ParameterServerOptions), ParameterServerOptions.Section).Except(server.Keys).Except(["ParameterServer__Name"]));
        Assert.Equal(coordinator["Transport__Kind"], server["Transport__Kind"]);
        foreach (var (key, value) in coordinator.Concat(worker).Concat(server))
        {
            Assert.True(OptionCatalog.Exists(key), $"compose.yaml: {key} names no option of the app");
            Assert.True(OptionCatalog.DefaultDiffers(key, value) is null || DeploymentDefaults.Contains(key),
                $"compose.yaml: {OptionCatalog.DefaultDiffers(key, value)}");
        }
        // Defaults visible: every ${VARIABLE} carries its :-default.
        Assert.Empty(VariableWithoutDefault().Matches(File.ReadAllText(Path.Combine(Root, "compose.yaml"))).Select(m => m.Value));
    }

    [Fact]
    public void ComposeWiresWorkersHealthChecksImageAndBuildTogether()
    {
        var compose = Compose();
        var services = compose["services"];
        var coordinator = ServiceEnvironment(services["coordinator"]);
        var worker = ServiceEnvironment(services["worker"]);
        var listenPort = new Uri(coordinator["Coordinator__Listen"]).Port;

        var target = new Uri(worker["Worker__Coordinator"]);
        Assert.True(services[target.Host].Exists, $"Worker__Coordinator names {target.Host}, not a service");
        Assert.Equal("coordinator", target.Host);
        Assert.Equal(listenPort, target.Port);
        Assert.Equal(new[] { "CMD", "disttrain", "health", "--address", $"http://127.0.0.1:{listenPort}" }, Strings(services["coordinator"]["healthcheck"]["test"]));
        Assert.Equal(new[] { "CMD", "disttrain", "health", "--address", $"http://127.0.0.1:{new Uri(worker["Worker__Listen"]).Port}" },
            Strings(services["worker"]["healthcheck"]["test"]));
        Assert.Equal("service_healthy", services["worker"]["depends_on"]["coordinator"]["condition"].Text);
        Assert.Equal("3", DefaultOf(services["worker"]["deploy"]["replicas"].Text!));
        Assert.Equal("on-failure", services["worker"]["restart"].Text);
        Assert.True(Seconds(services["coordinator"]["stop_grace_period"].Text!) >= 20, "the coordinator needs time to checkpoint on SIGTERM");

        var images = services.Entries.Select(s => DefaultOf(s.Value["image"].Text!)).Distinct().ToList();
        Assert.Equal(new[] { KubernetesImage() }, images);

        var dockerfile = File.ReadAllText(Path.Combine(Root, services["coordinator"]["build"]["dockerfile"].Text!));
        var args = ArgLine().Matches(dockerfile).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.All(services["coordinator"]["build"]["args"].Entries, a => Assert.Contains(a.Key, args));
    }

    [Fact]
    public void ComposeRunsOneParameterServerPerSliceBesideTheCoordinatorsOwn()
    {
        var services = Compose()["services"];
        var coordinator = ServiceEnvironment(services["coordinator"]);
        var server = ServiceEnvironment(services["parameter-server"]);

        var target = new Uri(server["ParameterServer__Coordinator"]);
        Assert.Equal("coordinator", target.Host);
        Assert.Equal(new Uri(coordinator["Coordinator__Listen"]).Port, target.Port);
        // P - 1 servers for P slices: 0 by default, and the variables are named in the comments that say so.
        Assert.Equal(int.Parse(coordinator["Coordinator__ParameterShards"], CultureInfo.InvariantCulture) - 1,
            int.Parse(DefaultOf(services["parameter-server"]["deploy"]["replicas"].Text!), CultureInfo.InvariantCulture));
        var text = File.ReadAllText(Path.Combine(Root, "compose.yaml"));
        Assert.Contains("PARAMETER_SHARDS=3 PARAMETER_SERVERS=2", text, StringComparison.Ordinal);
        // Workers reach it on the port it listens on, inside the compose network.
        var listen = new Uri(server["ParameterServer__Listen"]);
        Assert.Equal("0.0.0.0", listen.Host);
        Assert.Contains(listen.Port.ToString(CultureInfo.InvariantCulture), Strings(services["parameter-server"]["expose"]));
        Assert.Equal(new[] { "CMD", "disttrain", "health", "--address", $"http://127.0.0.1:{listen.Port}" }, Strings(services["parameter-server"]["healthcheck"]["test"]));
        Assert.Equal(new[] { "parameter-server" }, Strings(services["parameter-server"]["command"]));
        Assert.Equal("service_healthy", services["parameter-server"]["depends_on"]["coordinator"]["condition"].Text);
        Assert.Equal("on-failure", services["parameter-server"]["restart"].Text);
    }

    [Fact]
    public void KubernetesRunsParameterServersUnderAHeadlessServiceWithOneReplicaPerSliceBesideTheCoordinatorsOwn()
    {
        var manifests = Parse(K8sTexts());
        var statefulSet = manifests.Single(m => m.Kind == "StatefulSet");
        var data = manifests.Single(m => m.Kind == "ConfigMap").Root["data"];
        Assert.Equal(int.Parse(data["Coordinator__ParameterShards"].Text!, CultureInfo.InvariantCulture) - 1,
            int.Parse(statefulSet.Root["spec"]["replicas"].Text!, CultureInfo.InvariantCulture));
        Assert.Equal("Parallel", statefulSet.Root["spec"]["podManagementPolicy"].Text);
        var container = statefulSet.Root["spec"]["template"]["spec"]["containers"].Items.Single();
        Assert.Equal(new[] { "parameter-server" }, Strings(container["args"]));
        var advertise = container["env"].Items.Single(e => e["name"].Text == "ParameterServer__Advertise")["value"].Text!;
        Assert.StartsWith("http://$(POD_NAME).", advertise, StringComparison.Ordinal);
        var service = manifests.Single(m => m.Kind == "Service" && m.Name == statefulSet.Root["spec"]["serviceName"].Text);
        Assert.Equal("None", service.Root["spec"]["clusterIP"].Text);
        Assert.Equal(new Uri(data["ParameterServer__Coordinator"].Text!).Host, new Uri(data["Worker__Coordinator"].Text!).Host);
    }

    [Fact]
    public void ComposeOutputsLandWhereLocalRunsPutThemWrittenByTheCoordinatorsUserNotByAnyone()
    {
        var services = Compose()["services"];
        var coordinator = services["coordinator"];
        var outputs = services["outputs"];

        // ./runs/latest on the host, as `disttrain run` writes by default, mounted where Training__Out points.
        var mount = Strings(coordinator["volumes"]).Single();
        var (source, target) = (DefaultOf(mount[..mount.LastIndexOf(':')]), mount[(mount.LastIndexOf(':') + 1)..]);
        Assert.Equal("./" + new TrainingOptions().Out, source);
        Assert.Equal(ServiceEnvironment(coordinator)["Training__Out"], target);
        Assert.Equal(new[] { mount }, Strings(outputs["volumes"]));

        // The one-shot service hands the folder to the user the coordinator runs as and changes no mode.
        var user = coordinator["user"].Text!;
        Assert.Equal(new[] { "chown", user, target }, Strings(outputs["entrypoint"]));
        Assert.Equal("service_completed_successfully", coordinator["depends_on"]["outputs"]["condition"].Text);
        Assert.Matches(@"^\$\{DISTTRAIN_UID:-\d+\}:\$\{DISTTRAIN_GID:-\d+\}$", user);
        Assert.NotEqual("0:0", DefaultOf(user));
        var text = File.ReadAllText(Path.Combine(Root, "compose.yaml"));
        Assert.DoesNotContain("chmod", text, StringComparison.Ordinal);
        Assert.DoesNotContain("777", text, StringComparison.Ordinal);
    }

    [Fact]
    public void BothRolesAreScrapedByPrometheusOnTheirMetricsPorts()
    {
        var manifests = Parse(K8sTexts());
        foreach (var role in new[] { "Job", "Deployment" })
        {
            var template = manifests.Single(m => m.Kind == role).Root["spec"]["template"];
            Assert.Equal("true", template["metadata"]["annotations"]["prometheus.io/scrape"].Text);
        }

        var compose = Compose();
        var services = compose["services"];
        var dashboard = new Uri(ServiceEnvironment(services["coordinator"])["Dashboard__Url"]);
        var metrics = new Uri(ServiceEnvironment(services["worker"])["Worker__Metrics"]);
        Assert.Equal(("0.0.0.0", "0.0.0.0"), (dashboard.Host, metrics.Host));
        Assert.Equal(["8080:8080"], Strings(services["coordinator"]["ports"]).Select(DefaultOf));
        Assert.EndsWith($":{dashboard.Port}", DefaultOf(Strings(services["coordinator"]["ports"])[0]), StringComparison.Ordinal);
        Assert.Equal(dashboard.Port.ToString(CultureInfo.InvariantCulture), services["coordinator"]["labels"]["prometheus.io/port"].Text);
        Assert.Equal(metrics.Port.ToString(CultureInfo.InvariantCulture), services["worker"]["labels"]["prometheus.io/port"].Text);
        Assert.Contains(metrics.Port.ToString(CultureInfo.InvariantCulture), Strings(services["worker"]["expose"]));
        Assert.All(new[] { "coordinator", "worker" }, s =>
        {
            Assert.Equal("true", services[s]["labels"]["prometheus.io/scrape"].Text);
            Assert.Equal("/metrics", services[s]["labels"]["prometheus.io/path"].Text);
        });
    }

    [Fact]
    public void DockerfileRestoresEveryProjectTheCliNeedsBeforeItCopiesTheSources()
    {
        var lines = DockerfileInstructions();
        var restore = lines.FindIndex(l => l.StartsWith("RUN dotnet restore", StringComparison.Ordinal));
        var sources = lines.FindIndex(l => l == "COPY src/ src/");
        Assert.True(restore > 0 && sources > restore, "restore from the project files first, then copy the sources");

        var copied = lines.Take(restore)
            .Where(l => l.StartsWith("COPY ", StringComparison.Ordinal))
            .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1])
            .Where(p => p.EndsWith(".csproj", StringComparison.Ordinal))
            .ToHashSet();
        var needed = ProjectClosure(Path.Combine(Root, "src", "DistTrain.Cli", "DistTrain.Cli.csproj"))
            .Select(p => Path.GetRelativePath(Root, p).Replace('\\', '/'))
            .ToHashSet();
        Assert.Equal(needed.Order(), copied.Order());
        Assert.All(needed, p => Assert.True(File.Exists(Path.Combine(Root, p)), p));

        Assert.Contains("ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0", lines);
        Assert.Contains("ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0", lines);
        var finalStage = lines.Skip(lines.FindLastIndex(l => l.StartsWith("FROM ", StringComparison.Ordinal))).ToList();
        var user = finalStage.LastOrDefault(l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.NotNull(user);
        Assert.DoesNotMatch(@"^USER (0|root)(:|$)", user);
    }

    // ---- reading the files ----

    private static Dictionary<string, string> K8sTexts() =>
        Directory.GetFiles(K8sFolder, "*.yaml").ToDictionary(f => Path.GetFileName(f), f => File.ReadAllText(f));

    private static List<K8sObject> Parse(Dictionary<string, string> texts)
    {
        var deserializer = new DeserializerBuilder().Build();
        var objects = new List<K8sObject>();
        foreach (var (file, text) in texts.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            while (parser.Accept<DocumentStart>(out _))
            {
                if (deserializer.Deserialize<object?>(parser) is { } document)
                {
                    objects.Add(new K8sObject(file, new YamlNode(document)));
                }
            }
        }
        return objects;
    }

    private static YamlNode Compose()
    {
        using var reader = new StringReader(File.ReadAllText(Path.Combine(Root, "compose.yaml")));
        // MergingParser resolves the "<<: *anchor" merge keys compose files use.
        return new YamlNode(new DeserializerBuilder().Build().Deserialize<object>(new MergingParser(new Parser(reader))));
    }

    /// <summary>A service's environment with each ${VARIABLE:-default} replaced by its default.</summary>
    private static Dictionary<string, string> ServiceEnvironment(YamlNode service) =>
        service["environment"].Entries.ToDictionary(e => e.Key, e => DefaultOf(e.Value.Text ?? ""));

    private static string DefaultOf(string value) =>
        VariableWithDefault().Replace(value, m => m.Groups[1].Value);

    private static List<string> Strings(YamlNode list) => list.Items.Select(i => i.Text ?? "").ToList();

    private static double Seconds(string duration) =>
        duration.EndsWith('s') ? double.Parse(duration[..^1], CultureInfo.InvariantCulture) : double.NaN;

    private static string KubernetesImage() =>
        Parse(K8sTexts()).First(m => m.Kind == "Deployment").Root["spec"]["template"]["spec"]["containers"].Items.First()["image"].Text!;

    private static IEnumerable<string> OptionKeys(Type options, string section) =>
        options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => $"{section}__{p.Name}");

    /// <summary>Instructions with continuation lines joined and comments dropped.</summary>
    private static List<string> DockerfileInstructions() =>
        File.ReadAllText(Path.Combine(Root, "deploy", "Dockerfile"))
            .Replace("\\\n", " ", StringComparison.Ordinal)
            .Split('\n')
            .Select(l => MultipleSpaces().Replace(l.Trim(), " "))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();

    private static HashSet<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push(Path.GetFullPath(project));
        while (pending.TryPop(out var path))
        {
            if (!seen.Add(path))
            {
                continue;
            }
            foreach (var reference in XDocument.Load(path).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', Path.DirectorySeparatorChar);
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, include)));
            }
        }
        return seen;
    }

    [GeneratedRegex(@"\$\{(?:\w+):-([^}]*)\}")]
    private static partial Regex VariableWithDefault();

    [GeneratedRegex(@"\$\{\w+\}")]
    private static partial Regex VariableWithoutDefault();

    [GeneratedRegex(@"(?m)^ARG (\w+)")]
    private static partial Regex ArgLine();

    [GeneratedRegex(@"\s+")]
    private static partial Regex MultipleSpaces();

    // ---- the model and the checks ----

    /// <summary>A parsed YAML value, navigated by key; a missing key gives an empty node rather than an exception.</summary>
    private sealed class YamlNode(object? value)
    {
        public YamlNode this[string key] =>
            new(value is IDictionary<object, object> map && map.TryGetValue(key, out var child) ? child : null);

        public IEnumerable<YamlNode> Items => value is IList<object> list ? list.Select(i => new YamlNode(i)) : [];

        public IEnumerable<(string Key, YamlNode Value)> Entries =>
            value is IDictionary<object, object> map ? map.Select(e => (e.Key.ToString()!, new YamlNode(e.Value))) : [];

        public string? Text => value as string;

        public bool Exists => value is not null;

        public Dictionary<string, string> Labels() => Entries.ToDictionary(e => e.Key, e => e.Value.Text ?? "");
    }

    private sealed record K8sObject(string File, YamlNode Root)
    {
        public string? Kind => Root["kind"].Text;

        public string? Name => Root["metadata"]["name"].Text;

        public override string ToString() => $"{Kind} {Name} ({File})";
    }

    /// <summary>The options the app reads from configuration, keyed as environment variables (Section__Name).</summary>
    private static class OptionCatalog
    {
        private static readonly Dictionary<string, object?> Defaults = new[]
            {
                (typeof(TrainingOptions), TrainingOptions.Section, (object)new TrainingOptions()),
                (typeof(CoordinatorOptions), CoordinatorOptions.Section, new CoordinatorOptions()),
                (typeof(WorkerOptions), WorkerOptions.Section, new WorkerOptions()),
                (typeof(DashboardOptions), DashboardOptions.Section, new DashboardOptions()),
                (typeof(TimelineOptions), TimelineOptions.Section, new TimelineOptions()),
                (typeof(ParameterServerOptions), ParameterServerOptions.Section, new ParameterServerOptions()),
            }
            .SelectMany(o => o.Item1.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite)
                .Select(p => (Key: $"{o.Item2}__{p.Name}", Value: p.GetValue(o.Item3))))
            .ToDictionary(o => o.Key, o => o.Value, StringComparer.Ordinal);

        // Read straight from configuration by the commands rather than bound to an options class.
        private static readonly HashSet<string> Others = new(StringComparer.Ordinal)
        {
            "Worker__Listen", "Logging__Format", "Security__AuthToken", "Security__TlsCert", "Security__TlsKey", "Security__CaCert", "Transport__Kind",
        };

        public static bool Exists(string key) => Defaults.ContainsKey(key) || Others.Contains(key);

        /// <summary>Null when <paramref name="value"/> is the app's default for <paramref name="key"/> (or it has none), else why not.</summary>
        public static string? DefaultDiffers(string key, string value)
        {
            if (!Defaults.TryGetValue(key, out var fallback) || key is "Worker__Name" or "ParameterServer__Name")
            {
                return null;
            }
            var expected = Convert.ToString(fallback, CultureInfo.InvariantCulture) ?? "";
            return string.Equals(expected, value, StringComparison.OrdinalIgnoreCase)
                ? null
                : $"{key} is '{value}' but the app's default is '{expected}'";
        }
    }

    /// <summary>Every reference between the manifests, as a list of problems (empty when all is consistent).</summary>
    private static class ManifestCheck
    {
        public static List<string> Problems(IReadOnlyList<K8sObject> objects)
        {
            var problems = new List<string>();
            K8sObject? Find(string kind, string? name) => objects.FirstOrDefault(o => o.Kind == kind && o.Name == name);
            var pods = objects.Where(o => o.Kind is "Job" or "Deployment" or "StatefulSet" or "DaemonSet")
                .Select(o => (Owner: o, Template: o.Root["spec"]["template"]))
                .ToList();
            var images = new HashSet<string>(StringComparer.Ordinal);

            foreach (var (owner, template) in pods)
            {
                var labels = template["metadata"]["labels"].Labels();
                if (owner.Kind != "Job")
                {
                    var selector = owner.Root["spec"]["selector"]["matchLabels"].Labels();
                    if (selector.Count == 0 || selector.Any(s => !labels.TryGetValue(s.Key, out var v) || v != s.Value))
                    {
                        problems.Add($"{owner}: selector {Show(selector)} does not match the pod labels {Show(labels)}");
                    }
                }
                var pod = template["spec"];
                var volumes = pod["volumes"].Items.Select(v => v["name"].Text).ToHashSet();
                foreach (var volume in pod["volumes"].Items)
                {
                    Require(problems, owner, "ConfigMap", volume["configMap"]["name"].Text, Find);
                    Require(problems, owner, "Secret", volume["secret"]["secretName"].Text, Find);
                    Require(problems, owner, "PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"].Text, Find);
                }
                foreach (var container in pod["containers"].Items)
                {
                    CheckContainer(problems, owner, container, volumes, Find);
                    images.Add(container["image"].Text ?? "");
                }
            }

            if (images.Count != 1)
            {
                problems.Add($"one image for every role, found {string.Join(", ", images)}");
            }
            foreach (var service in objects.Where(o => o.Kind == "Service"))
            {
                CheckService(problems, service, pods);
            }
            foreach (var configMap in objects.Where(o => o.Kind == "ConfigMap"))
            {
                foreach (var (key, value) in configMap.Root["data"].Entries)
                {
                    if (!OptionCatalog.Exists(key))
                    {
                        problems.Add($"{configMap}: {key} names no option of the app");
                    }
                    else if (OptionCatalog.DefaultDiffers(key, value.Text ?? "") is { } why && !DeploymentDefaults.Contains(key))
                    {
                        problems.Add($"{configMap}: {why}");
                    }
                }
            }
            foreach (var kustomization in objects.Where(o => o.Kind == "Kustomization"))
            {
                var listed = kustomization.Root["resources"].Items.Select(i => i.Text ?? "").ToHashSet();
                var files = objects.Where(o => o.Kind != "Kustomization").Select(o => o.File).ToHashSet();
                problems.AddRange(files.Except(listed).Select(f => $"{kustomization}: {f} is not listed in resources"));
                problems.AddRange(listed.Except(files).Select(f => $"{kustomization}: lists {f}, which holds no manifest"));
            }
            return problems;
        }

        private static void CheckContainer(List<string> problems, K8sObject owner, YamlNode container, HashSet<string?> volumes,
            Func<string, string?, K8sObject?> find)
        {
            var where = $"{owner} container {container["name"].Text}";
            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var source in container["envFrom"].Items)
            {
                if (Require(problems, owner, "ConfigMap", source["configMapRef"]["name"].Text, find) is { } map)
                {
                    foreach (var (key, value) in map.Root["data"].Entries)
                    {
                        environment[key] = value.Text ?? "";
                    }
                }
                Require(problems, owner, "Secret", source["secretRef"]["name"].Text, find);
            }
            var envValues = string.Join('\n', container["env"].Items.Select(v => v["value"].Text ?? ""));
            foreach (var variable in container["env"].Items)
            {
                var name = variable["name"].Text ?? "";
                // A value from the downward API is fine when another variable uses it as $(NAME).
                var helper = variable["valueFrom"]["fieldRef"].Exists && envValues.Contains($"$({name})", StringComparison.Ordinal);
                if (!OptionCatalog.Exists(name) && !helper)
                {
                    problems.Add($"{where}: {name} names no option of the app");
                }
                environment[name] = variable["value"].Text ?? "";
                RequireKey(problems, owner, "ConfigMap", variable["valueFrom"]["configMapKeyRef"], find, "data");
                RequireKey(problems, owner, "Secret", variable["valueFrom"]["secretKeyRef"], find, "data", "stringData");
            }
            foreach (var mount in container["volumeMounts"].Items)
            {
                if (!volumes.Contains(mount["name"].Text))
                {
                    problems.Add($"{where}: mounts volume {mount["name"].Text}, which the pod does not declare");
                }
            }
            if (!container["resources"]["requests"]["memory"].Exists)
            {
                problems.Add($"{where}: no memory request");
            }

            // The probes ask the port this role listens on; the coordinator's named port is that port too.
            var role = container["args"].Items.FirstOrDefault()?.Text;
            var listenKey = role switch
            {
                "coordinator" => "Coordinator__Listen",
                "parameter-server" => "ParameterServer__Listen",
                _ => "Worker__Listen",
            };
            if (!environment.TryGetValue(listenKey, out var listen) || !Uri.TryCreate(listen, UriKind.Absolute, out var listenUri))
            {
                problems.Add($"{where}: role '{role}' without {listenKey} in its environment");
                return;
            }
            foreach (var probe in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
            {
                if (!container[probe].Exists)
                {
                    continue;
                }
                var command = container[probe]["exec"]["command"].Items.Select(i => i.Text).ToList();
                var expected = new[] { "disttrain", "health", "--address", $"http://127.0.0.1:{listenUri.Port}" };
                if (!command.SequenceEqual(expected))
                {
                    problems.Add($"{where}: {probe} runs '{string.Join(' ', command)}', not disttrain health on port {listenUri.Port}");
                }
            }
            // Each named port is the port of the option that listens on it: gRPC, the dashboard, a worker's metrics.
            var portKeys = new Dictionary<string, string> { ["grpc"] = listenKey, ["dashboard"] = "Dashboard__Url", ["metrics"] = "Worker__Metrics" };
            foreach (var port in container["ports"].Items)
            {
                var name = port["name"].Text ?? "";
                if (!portKeys.TryGetValue(name, out var key) || !environment.TryGetValue(key, out var url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
                {
                    problems.Add($"{where}: port {name} is not the port of an address the app listens on (grpc, dashboard, metrics)");
                }
                else if (port["containerPort"].Text != uri.Port.ToString(CultureInfo.InvariantCulture))
                {
                    problems.Add($"{where}: containerPort {port["containerPort"].Text} is not the port of {key} ({uri.Port})");
                }
            }
            CheckScrapeAnnotations(problems, owner, where, container, environment);
            if (role == "parameter-server")
            {
                CheckAdvertisedName(problems, owner, where, environment, listenUri, find);
            }
            var coordinatorKey = role == "parameter-server" ? "ParameterServer__Coordinator" : "Worker__Coordinator";
            if (role is "worker" or "parameter-server" && environment.TryGetValue(coordinatorKey, out var coordinator))
            {
                var uri = new Uri(coordinator);
                var service = find("Service", uri.Host);
                if (service is null)
                {
                    problems.Add($"{where}: {coordinatorKey} {coordinator} names Service {uri.Host}, which does not exist");
                }
                else if (!service.Root["spec"]["ports"].Items.Any(p => p["port"].Text == uri.Port.ToString(CultureInfo.InvariantCulture)))
                {
                    problems.Add($"{where}: {coordinatorKey} {coordinator}: {service} has no port {uri.Port}");
                }
            }
        }

        /// <summary>A parameter server advertises its pod's name under the StatefulSet's headless Service, on the port it listens on.</summary>
        private static void CheckAdvertisedName(List<string> problems, K8sObject owner, string where, Dictionary<string, string> environment, Uri listen,
            Func<string, string?, K8sObject?> find)
        {
            var serviceName = owner.Root["spec"]["serviceName"].Text;
            var service = find("Service", serviceName);
            if (owner.Kind != "StatefulSet" || service is null)
            {
                problems.Add($"{where}: a parameter server runs in a StatefulSet whose serviceName names a Service; serviceName {serviceName} does not");
                return;
            }
            if (!environment.TryGetValue("ParameterServer__Advertise", out var advertise)
                || !Uri.TryCreate(advertise.Replace("$(POD_NAME)", "pod", StringComparison.Ordinal), UriKind.Absolute, out var uri))
            {
                problems.Add($"{where}: no ParameterServer__Advertise address for workers");
                return;
            }
            var host = uri.Host.Split('.');
            if (host.Length < 2 || host[1] != serviceName || service.Root["spec"]["clusterIP"].Text != "None")
            {
                problems.Add($"{where}: ParameterServer__Advertise {advertise} is not a pod name under the headless Service {serviceName}");
            }
            if (uri.Port != listen.Port || !service.Root["spec"]["ports"].Items.Any(p => p["port"].Text == uri.Port.ToString(CultureInfo.InvariantCulture)))
            {
                problems.Add($"{where}: ParameterServer__Advertise {advertise} is not on the port it listens on ({listen.Port}) and its Service serves");
            }
        }

        /// <summary>prometheus.io annotations name a port of the container whose option serves /metrics beyond the pod.</summary>
        private static void CheckScrapeAnnotations(List<string> problems, K8sObject owner, string where, YamlNode container, Dictionary<string, string> environment)
        {
            var annotations = owner.Root["spec"]["template"]["metadata"]["annotations"];
            if (annotations["prometheus.io/scrape"].Text != "true")
            {
                return;
            }
            var port = annotations["prometheus.io/port"].Text;
            var named = container["ports"].Items.FirstOrDefault(p => p["containerPort"].Text == port);
            if (named is null)
            {
                problems.Add($"{where}: prometheus.io/port {port} is no containerPort");
            }
            else
            {
                var key = named["name"].Text == "dashboard" ? "Dashboard__Url" : named["name"].Text == "metrics" ? "Worker__Metrics" : null;
                if (key is null || !environment.TryGetValue(key, out var url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
                {
                    problems.Add($"{where}: prometheus.io/port {port} is not a dashboard or metrics port");
                }
                else if (uri.Host is "127.0.0.1" or "localhost")
                {
                    problems.Add($"{where}: {key} {url} listens only inside the pod, where Prometheus cannot scrape it");
                }
            }
            if (annotations["prometheus.io/path"].Text != "/metrics")
            {
                problems.Add($"{where}: prometheus.io/path {annotations["prometheus.io/path"].Text} is not /metrics");
            }
        }

        private static void CheckService(List<string> problems, K8sObject service, List<(K8sObject Owner, YamlNode Template)> pods)
        {
            var selector = service.Root["spec"]["selector"].Labels();
            var selected = pods.Where(p =>
            {
                var labels = p.Template["metadata"]["labels"].Labels();
                return selector.Count > 0 && selector.All(s => labels.TryGetValue(s.Key, out var v) && v == s.Value);
            }).ToList();
            if (selected.Count == 0)
            {
                problems.Add($"{service}: selector {Show(selector)} selects no pod");
                return;
            }
            var containerPorts = selected
                .SelectMany(p => p.Template["spec"]["containers"].Items)
                .SelectMany(c => c["ports"].Items)
                .SelectMany(p => new[] { p["name"].Text, p["containerPort"].Text })
                .ToHashSet();
            foreach (var port in service.Root["spec"]["ports"].Items)
            {
                var target = port["targetPort"].Text ?? port["port"].Text;
                if (!containerPorts.Contains(target))
                {
                    problems.Add($"{service}: targetPort {target} is no port of the pods it selects");
                }
            }
        }

        private static K8sObject? Require(List<string> problems, K8sObject owner, string kind, string? name, Func<string, string?, K8sObject?> find)
        {
            if (name is null)
            {
                return null;
            }
            var found = find(kind, name);
            if (found is null)
            {
                problems.Add($"{owner}: refers to {kind} {name}, which does not exist");
            }
            return found;
        }

        private static void RequireKey(List<string> problems, K8sObject owner, string kind, YamlNode reference,
            Func<string, string?, K8sObject?> find, params string[] sections)
        {
            if (Require(problems, owner, kind, reference["name"].Text, find) is not { } found)
            {
                return;
            }
            var key = reference["key"].Text;
            if (!sections.Any(s => found.Root[s][key ?? ""].Exists))
            {
                problems.Add($"{owner}: refers to key {key} of {found}, which it does not have");
            }
        }

        private static string Show(Dictionary<string, string> labels) => "{" + string.Join(", ", labels.Select(l => $"{l.Key}={l.Value}")) + "}";
    }
}
