//! `itictl`: the command line of ITI Exchange. All the work is in the
//! library, so that tests drive the same code in-process.

use std::process::ExitCode;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("itictl: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let args: Vec<String> = std::env::args().collect();
    let locale = iti_node::i18n::Lang::from_posix(|var| std::env::var(var).ok());
    let mut stdout = std::io::stdout();
    match runtime.block_on(itictl::run(args, locale, &mut stdout)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(itictl::CliError::Help(text)) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(itictl::CliError::Usage(text)) => {
            eprint!("{text}");
            ExitCode::from(2)
        }
        Err(itictl::CliError::Failed(e)) => {
            eprintln!("itictl: {e:#}");
            ExitCode::FAILURE
        }
    }
}
