fn main() -> std::process::ExitCode {
    gridlink_service::main::<mailer::Mailer>()
}
