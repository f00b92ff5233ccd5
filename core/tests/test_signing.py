"""Signing with OpenSSF model-signing: private-key and certificate modes, and every tampering.

Real keys and certificates are made with ``cryptography`` (a dependency of model-signing); the
signature is checked by model-signing itself (the core session installs ``flavorkit[sign]``
through the ``test`` extra, so these never skip). Sigstore's keyless mode needs the internet and is
not tested here (see docs/integrity.md).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml
from toyflavor_pkg import ToyModel

pytest.importorskip(
    "model_signing", reason="signing needs flavorkit[sign]: pip install model-signing"
)

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import flavorkit
from flavorkit.cli import main
from flavorkit.errors import SignatureVerificationError
from flavorkit.integrity import (
    MANIFEST_FILE,
    SIGNATURE_FILE,
    sign_model,
    verify_signature,
)
from flavorkit.validate import validate_model

pytestmark = pytest.mark.usefixtures("registry")

X = pd.DataFrame({"a": [1.0, 2.0], "b": [0.5, 0.0]})


def write_key_pair(where: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    private = where / f"{name}.pem"
    public = where / f"{name}.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    where = tmp_path_factory.mktemp("keys")
    return {name: write_key_pair(where, name) for name in ("alice", "mallory")}


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    path = tmp_path / "m"
    flavorkit.save_model(ToyModel([2.0, -1.0], bias=0.5), path, input_example=X)
    return path


@pytest.fixture
def signed(model_dir: Path, keys: dict[str, tuple[Path, Path]]) -> Path:
    sig = sign_model(model_dir, private_key=keys["alice"][0])
    assert sig == model_dir / SIGNATURE_FILE
    return model_dir


def test_a_signed_model_verifies_and_loads(
    signed: Path, keys: dict[str, tuple[Path, Path]]
) -> None:
    public = keys["alice"][1]
    verify_signature(signed, public_key=public)
    model = flavorkit.load_model(signed, verify_signature=public)
    assert model.predict(X).tolist() == [2.0, 4.5]


def test_a_tampered_file_fails(signed: Path, keys: dict[str, tuple[Path, Path]]) -> None:
    (signed / "model.json").write_text('{"weights": [9.0, 9.0], "bias": 0.5}')
    with pytest.raises(SignatureVerificationError, match=r"Hash mismatch for 'model\.json'") as e:
        flavorkit.load_model(signed, verify_signature=keys["alice"][1])
    assert e.value.file == "model.json"


def test_an_added_file_fails(signed: Path, keys: dict[str, tuple[Path, Path]]) -> None:
    (signed / "code").mkdir()
    (signed / "code" / "evil.py").write_text("import os\n")
    with pytest.raises(SignatureVerificationError, match=r"Extra files .*code/evil\.py"):
        verify_signature(signed, public_key=keys["alice"][1])


def test_a_removed_file_fails(signed: Path, keys: dict[str, tuple[Path, Path]]) -> None:
    (signed / "input_example.json").unlink()
    with pytest.raises(SignatureVerificationError, match=r"Missing files .*input_example\.json"):
        verify_signature(signed, public_key=keys["alice"][1])


def test_another_keys_signature_fails(signed: Path, keys: dict[str, tuple[Path, Path]]) -> None:
    with pytest.raises(
        SignatureVerificationError,
        match=r"model\.sig was not made by the public key .*mallory\.pub",
    ) as e:
        verify_signature(signed, public_key=keys["mallory"][1])
    assert e.value.file == SIGNATURE_FILE
    # re-signed by another key: alice's key no longer verifies it
    sign_model(signed, private_key=keys["mallory"][0])
    with pytest.raises(SignatureVerificationError, match="was not made by the public key"):
        verify_signature(signed, public_key=keys["alice"][1])


def test_mlflow_rewriting_mlmodel_keeps_the_signature(
    signed: Path, keys: dict[str, tuple[Path, Path]]
) -> None:
    raw = yaml.safe_load((signed / "MLmodel").read_text())
    raw["run_id"] = "0123456789abcdef0123456789abcdef"
    raw["artifact_path"] = "file:///tmp/mlruns/0/models/m-1/artifacts"
    (signed / "MLmodel").write_text(yaml.safe_dump(raw))
    (signed / "registered_model_meta").write_text("model_name: m\n")
    (signed / "__pycache__").mkdir()
    (signed / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")
    verify_signature(signed, public_key=keys["alice"][1])
    raw["flavors"]["toy"]["data"] = "input_example.json"  # a load-bearing edit
    (signed / "MLmodel").write_text(yaml.safe_dump(raw))
    with pytest.raises(SignatureVerificationError, match="MLmodel's flavors") as e:
        verify_signature(signed, public_key=keys["alice"][1])
    assert e.value.file == "MLmodel"


def test_an_unsigned_model_says_so(model_dir: Path, keys: dict[str, tuple[Path, Path]]) -> None:
    with pytest.raises(SignatureVerificationError, match=r"not signed .*flavorkit sign MODEL"):
        flavorkit.load_model(model_dir, verify_signature=keys["alice"][1])


def test_signing_a_model_without_a_manifest_writes_one(
    model_dir: Path, keys: dict[str, tuple[Path, Path]]
) -> None:
    (model_dir / MANIFEST_FILE).unlink()
    sign_model(model_dir, private_key=keys["alice"][0])
    assert (model_dir / MANIFEST_FILE).is_file()
    verify_signature(model_dir, public_key=keys["alice"][1])


def test_a_changed_model_is_not_signed(model_dir: Path, keys: dict[str, tuple[Path, Path]]) -> None:
    (model_dir / "model.json").write_text('{"weights": [0.0, 0.0], "bias": 1.0}')
    with pytest.raises(flavorkit.FlavorkitError, match=r"model\.json"):
        sign_model(model_dir, private_key=keys["alice"][0])
    assert not (model_dir / SIGNATURE_FILE).exists()


def _certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool,
) -> x509.Certificate:  # fmt: skip
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                key_cert_sign=ca,
                crl_sign=ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    return builder.sign(issuer_key, hashes.SHA256())


def test_certificate_mode(model_dir: Path, tmp_path: Path) -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("flavorkit test CA", ca_key, None, ca_key, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate("model signer", leaf_key, ca, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (tmp_path / "leaf.key").write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    sign_model(
        model_dir,
        private_key=tmp_path / "leaf.key",
        certificate=tmp_path / "leaf.pem",
        certificate_chain=[tmp_path / "ca.pem"],
    )
    verify_signature(model_dir, certificate_chain=[tmp_path / "ca.pem"])
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = _certificate("another CA", other_key, None, other_key, ca=True)
    (tmp_path / "other.pem").write_bytes(other.public_bytes(pem))
    with pytest.raises(SignatureVerificationError, match="was not made by the certificate chain"):
        verify_signature(model_dir, certificate_chain=[tmp_path / "other.pem"])


def test_cli_sign_verify_and_validate(
    model_dir: Path, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    private, public = keys["alice"]
    assert main(["sign", str(model_dir), "--private-key", str(private)]) == 0
    assert main(["verify", str(model_dir), "--public-key", str(public)]) == 0
    out = capsys.readouterr().out
    assert "signed" in out and "verifies" in out
    checks = {c.name: c for c in validate_model(model_dir, public_key=public)}
    assert checks["signature"].status == "pass"
    (model_dir / "model.json").write_text('{"weights": [0.0, 0.0], "bias": 1.0}')
    assert main(["verify", str(model_dir), "--public-key", str(public)]) == 1
    err = capsys.readouterr().err
    assert "model.json" in err and "Traceback" not in err
    assert main(["validate", str(model_dir), "--public-key", str(public)]) == 1
