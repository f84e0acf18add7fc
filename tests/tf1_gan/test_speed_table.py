"""tools/gan_speed_table.py: parsing of the benchmarks' lines and the Markdown table (no benchmark is run)."""
import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _tool():
    spec = importlib.util.spec_from_file_location("gan_speed_table", os.path.join(ROOT, "tools", "gan_speed_table.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lines_of_both_benchmarks_parse():
    tool = _tool()
    text = "# tensorflow 1.15.5\nvariant=linear imgs_per_s=5000.5\nframework=torch variant=dcgan_sn imgs_per_s=480.0\n"
    assert {m.group(1): float(m.group(2)) for m in tool.LINE.finditer(text)} == {"linear": 5000.5,
                                                                                 "dcgan_sn": 480.0}


def test_table_lists_every_run_the_medians_and_the_ratio_to_pytorch():
    tool = _tool()
    stock, onednn, torch = (label for label, _, _ in tool.RUNTIMES)
    runs = lambda *values: [{v: x for v in tool.VARIANTS} for x in values]  # noqa: E731
    text = tool.table({stock: runs(100, 300, 200), onednn: runs(500, 520, 510), torch: runs(400, 600, 500)},
                      [1.0, 2.5])
    row = [line for line in text.splitlines() if line.startswith("| `dcgan_bn`")][0]
    assert "100, 300, 200 (**200**)" in row and "(**510**)" in row and "(**500**)" in row
    assert row.endswith(" 1.02 |")  # best TF median 510 / PyTorch median 500
    assert "1.00, 2.50" in text


def test_table_names_the_cpu_and_the_tf_settings_the_benchmarks_printed():
    tool = _tool()
    headers = set()
    header = "tensorflow 1.15.2, oneDNN kernels, conv_impl=tf, cpu=AuthenticAMD, KMP_BLOCKTIME=1, MKL_DEBUG_CPU_TYPE=5"
    text = "# %s\nvariant=linear imgs_per_s=1.0\n" % header
    headers.update(tool.HEADER.findall(text))
    assert headers == {header}
    stock = tool.RUNTIMES[0][0]
    out = tool.table({stock: [{v: 1.0 for v in tool.VARIANTS}]}, [0.5], headers, "AMD EPYC")
    assert "CPU: AMD EPYC, " in out and "`%s`" % header in out


def test_cpu_model_reads_model_name(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text("vendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R14\n")
    assert _tool().cpu_model(str(path)) == "AMD EPYC 9R14"
    assert _tool().cpu_model(str(tmp_path / "none")) == "unknown CPU"
