//! Reading QR codes back with zbar, a real decoder.

/// What zbar, a real decoder, reads from an image.
pub fn decoded(image: &[u8], extension: &str) -> String {
    let path = std::env::temp_dir().join(format!(
        "gridlink-qr-{}.{extension}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&path, image).unwrap();
    let output = std::process::Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(&path)
        .output()
        .expect("zbarimg is installed (make infra installs zbar-tools)");
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "zbar found no QR code in the {extension}"
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}
