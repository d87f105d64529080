using System.Text.Json;

namespace DistTrain.Training.Observability.Timeline;

/// <summary>
/// Writes the Chrome trace-event format (JSON object form, as Perfetto and chrome://tracing open it):
/// complete events ("X") with a start and a duration in microseconds, instants ("i"), counters ("C")
/// and the metadata ("M") that names processes and threads. Streams to the file; <see cref="Dispose"/>
/// closes the array and the object, so a stopped run still leaves valid JSON.
/// </summary>
public sealed class TraceEventWriter : IDisposable
{
    private readonly Stream stream;
    private readonly Utf8JsonWriter json;

    public TraceEventWriter(Stream stream)
    {
        this.stream = stream;
        json = new Utf8JsonWriter(stream, new JsonWriterOptions { SkipValidation = false });
        json.WriteStartObject();
        json.WriteString("displayTimeUnit", "ms");
        json.WriteStartArray("traceEvents");
    }

    /// <summary>Events written so far.</summary>
    public long Count { get; private set; }

    public void ProcessName(int pid, string name, int sortIndex)
    {
        Metadata("process_name", pid, 0, "name", name);
        Metadata("process_sort_index", pid, 0, "sort_index", sortIndex);
    }

    public void ThreadName(int pid, int tid, string name, int sortIndex)
    {
        Metadata("thread_name", pid, tid, "name", name);
        Metadata("thread_sort_index", pid, tid, "sort_index", sortIndex);
    }

    /// <summary>A slice from <paramref name="startMicros"/> lasting <paramref name="durationMicros"/>, with optional numeric arguments.</summary>
    public void Complete(string name, string category, int pid, int tid, double startMicros, double durationMicros,
        ReadOnlySpan<(string Key, double Value)> args = default)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("cat", category);
        json.WriteString("ph", "X");
        json.WriteNumber("ts", Math.Round(startMicros, 1));
        json.WriteNumber("dur", Math.Round(Math.Max(0, durationMicros), 1));
        json.WriteNumber("pid", pid);
        json.WriteNumber("tid", tid);
        if (!args.IsEmpty)
        {
            json.WriteStartObject("args");
            foreach (var (key, value) in args)
            {
                json.WriteNumber(key, Math.Round(value, 3));
            }
            json.WriteEndObject();
        }
        json.WriteEndObject();
        Written();
    }

    /// <summary>A moment on one thread's lane, with a text argument.</summary>
    public void Instant(string name, string category, int pid, int tid, double atMicros, string detail)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("cat", category);
        json.WriteString("ph", "i");
        json.WriteString("s", "t");
        json.WriteNumber("ts", Math.Round(atMicros, 1));
        json.WriteNumber("pid", pid);
        json.WriteNumber("tid", tid);
        json.WriteStartObject("args");
        json.WriteString("detail", detail);
        json.WriteEndObject();
        json.WriteEndObject();
        Written();
    }

    /// <summary>A value of a counter track (drawn as a graph over time).</summary>
    public void Counter(string name, int pid, double atMicros, string series, double value)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("ph", "C");
        json.WriteNumber("ts", Math.Round(atMicros, 1));
        json.WriteNumber("pid", pid);
        json.WriteStartObject("args");
        json.WriteNumber(series, Math.Round(value, 6));
        json.WriteEndObject();
        json.WriteEndObject();
        Written();
    }

    /// <summary>Pushes what is buffered to the file.</summary>
    public void Flush()
    {
        json.Flush();
        stream.Flush();
    }

    public void Dispose()
    {
        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        json.Dispose();
        stream.Dispose();
    }

    /// <summary>Counts the event and hands a full buffer to the file, so memory stays small whatever the window.</summary>
    private void Written()
    {
        Count++;
        if (json.BytesPending > 1 << 16)
        {
            json.Flush();
        }
    }

    private void Metadata<T>(string name, int pid, int tid, string key, T value)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("ph", "M");
        json.WriteNumber("pid", pid);
        json.WriteNumber("tid", tid);
        json.WriteStartObject("args");
        if (value is int number)
        {
            json.WriteNumber(key, number);
        }
        else
        {
            json.WriteString(key, value?.ToString());
        }
        json.WriteEndObject();
        json.WriteEndObject();
        Written();
    }
}
