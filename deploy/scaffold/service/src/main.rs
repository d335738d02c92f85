fn main() -> std::process::ExitCode {
    gridlink_service::main::<__name__::__Name__>()
}
