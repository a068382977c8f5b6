use clap::Parser;

fn main() {
    let cli = connectsim::cli::Cli::parse();
    if let Err(failure) = connectsim::app::run(cli) {
        eprintln!("Error: {:#}", failure.error);
        std::process::exit(failure.code);
    }
}
