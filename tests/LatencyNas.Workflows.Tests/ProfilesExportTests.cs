using System.Globalization;
using DuckDB.NET.Data;
using LatencyNas.Core;
using LatencyNas.Core.Tables;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
using LatencyNas.Tests;
using LatencyNas.Workflows.Tests.Runners;

namespace LatencyNas.Workflows.Tests;

/// <summary>A Parquet export holds exactly what the CSV export holds, as another Parquet implementation (DuckDB) reads it.</summary>
public sealed class ProfilesExportTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_parquet_export_read_back_by_duckdb_holds_every_cell_of_the_csv_export_with_nulls_for_the_empty_ones()
    {
        var store = new StoreLocation(_directory.File("latnas.db"));
        var runner = new KnownTimesRunner(DeviceDescriptorReader.Resolve("ort-cpu-1t"), r => r.Architecture.Digits.Count(c => c == '3') + 0.25);
        await new ProfileUseCase(runner).RunAsync(new ProfileRequest("ort-cpu-1t", RealStore.Space, new(Count: 6, Seed: 3), store, DeviceName: "box"));
        using (var opened = store.OpenExisting())
        {
            var device = opened.Devices.Get("box");
            var descriptor = DeviceDescriptorReader.Resolve("ort-cpu-1t");
            opened.Measurements.RecordFailure(device, RealStore.Space, descriptor.RequestFor(RealStore.Space, RealStore.Space.Parse("444444")), 1, "timed out, \"twice\"");
        }

        string csv = _directory.File("box.csv"), csvVisits = _directory.File("visits.csv");
        string parquet = _directory.File("box.parquet"), parquetVisits = _directory.File("visits.parquet");
        new ProfilesExportUseCase().Run(new ProfilesExportRequest("box", csv, store, Visits: csvVisits));
        var written = new ProfilesExportUseCase().Run(new ProfilesExportRequest("box", parquet, store, Visits: parquetVisits, Format: ExportFormat.Parquet));

        Assert.Equal((7, 1), (written.Measurements, written.Failed));
        Assert.True(written.Visits > 6);
        AssertSameTable(csv, parquet, "ops, session");
        AssertSameTable(csvVisits, parquetVisits, "ops, session, visit");
    }

    [Fact]
    public async Task Measurements_and_visits_are_written_both_or_neither_and_never_to_one_file()
    {
        var store = new StoreLocation(_directory.File("both.db"));
        var runner = new KnownTimesRunner(DeviceDescriptorReader.Resolve("ort-cpu-1t"), r => 1 + r.Architecture.Digits.Count(c => c == '3'));
        await new ProfileUseCase(runner).RunAsync(new ProfileRequest("ort-cpu-1t", RealStore.Space, new(Count: 3, Seed: 1), store, DeviceName: "box"));

        string csv = _directory.File("box.csv");
        var same = Assert.Throws<InvalidInputException>(() => new ProfilesExportUseCase().Run(new ProfilesExportRequest("box", csv, store, Visits: csv)));
        Assert.Contains("--out and --visits both name", same.Message);
        Assert.False(File.Exists(csv));

        string folder = _directory.File("a-folder");
        Directory.CreateDirectory(folder);
        Assert.Throws<InvalidInputException>(() => new ProfilesExportUseCase().Run(new ProfilesExportRequest("box", csv, store, Visits: folder)));
        Assert.False(File.Exists(csv));
        Assert.Empty(Directory.GetFiles(_directory.Path, "*.tmp"));

        string visits = _directory.File("visits.csv");
        var written = new ProfilesExportUseCase().Run(new ProfilesExportRequest("box", csv, store, Visits: visits));
        Assert.Equal(4, File.ReadAllLines(csv).Length); // the header and three measurements
        Assert.Equal(written.Visits + 1, File.ReadAllLines(visits).Length);
    }

    /// <summary>Every cell: text equal, numbers exactly equal (the CSV writes each in its round-trip form), an empty CSV cell a Parquet null.</summary>
    private static void AssertSameTable(string csvPath, string parquetPath, string order)
    {
        var table = CsvTable.Read(csvPath);
        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM read_parquet('{parquetPath}') ORDER BY {order}";
        using var reader = command.ExecuteReader();
        Assert.Equal(table.Header, Enumerable.Range(0, reader.FieldCount).Select(reader.GetName));
        var expected = table.Rows.OrderBy(r => r[IndexOf(table.Header, "ops")], StringComparer.Ordinal)
            .ThenBy(r => int.Parse(r[IndexOf(table.Header, "session")], CultureInfo.InvariantCulture))
            .ThenBy(r => table.Header.Contains("visit") ? int.Parse(r[IndexOf(table.Header, "visit")], CultureInfo.InvariantCulture) : 0).ToList();
        int row = 0;
        while (reader.Read())
        {
            for (int c = 0; c < reader.FieldCount; c++)
            {
                string cell = expected[row][c];
                object value = reader.GetValue(c);
                if (cell.Length == 0)
                {
                    Assert.True(value is DBNull, $"{table.Header[c]} of row {row}: {value} where the CSV is empty");
                }
                else if (value is double number)
                {
                    Assert.Equal(double.Parse(cell, CultureInfo.InvariantCulture), number);
                }
                else
                {
                    Assert.Equal(cell, value is bool flag ? (flag ? "true" : "false") : Convert.ToString(value, CultureInfo.InvariantCulture));
                }
            }
            row++;
        }
        Assert.Equal(expected.Count, row);
    }

    private static int IndexOf(IReadOnlyList<string> header, string column) => header.ToList().IndexOf(column);
}
