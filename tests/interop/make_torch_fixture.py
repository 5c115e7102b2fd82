"""Writes the PyTorch-made fixture of the C++ state-dict tests (tests/state_dict_model_test.cpp):

  tests/data/torch_mlp.safetensors           model.state_dict() of a torch.nn.Sequential MLP, as
                                             safetensors.torch.save_file writes it (no nn metadata;
                                             BatchNorm1d's num_batches_tracked is I64)
  tests/data/torch_mlp_expected.safetensors  "input" [5, 4] and torch's "output" [5, 3] in eval mode;
                                             its metadata holds the equivalent nn model spec

Usage: /usr/bin/python3 tests/interop/make_torch_fixture.py [--venv DIR] [OUT_DIR]
(OUT_DIR defaults to tests/data next to this script.)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_venv  # noqa: E402

# The nn spelling of the torch model below (BatchNorm1d's defaults are nn's: eps 1e-5, momentum 0.1).
MODEL_SPEC = "linear:8,batchnorm,tanh,linear:3"
INPUT_FEATURES = 4


def main(argv):
    np, torch, st = interop_venv.import_torch()
    out = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(7)
    model = torch.nn.Sequential(torch.nn.Linear(INPUT_FEATURES, 8), torch.nn.BatchNorm1d(8), torch.nn.Tanh(),
                                torch.nn.Linear(8, 3))
    # A few batches in training mode move the running statistics away from (0, 1).
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(16, INPUT_FEATURES) * 2.0 + 0.5)
    model.eval()
    x = torch.randn(5, INPUT_FEATURES)
    with torch.no_grad():
        y = model(x)
    st.save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(out, "torch_mlp.safetensors"))
    st.save_file({"input": x.contiguous(), "output": y.contiguous()},
                 os.path.join(out, "torch_mlp_expected.safetensors"),
                 metadata={"model_spec": MODEL_SPEC, "input_shape": f"[{INPUT_FEATURES}]",
                           "torch_version": torch.__version__})
    print(f"wrote {out}/torch_mlp.safetensors ({', '.join(model.state_dict())}) and torch_mlp_expected.safetensors")


if __name__ == "__main__":
    main(interop_venv.enter(sys.argv))
