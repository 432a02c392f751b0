package clidoc

import (
	"fmt"
	"strings"
)

// The completion scripts are thin: at each Tab they run
//
//	<helper> __complete <command> <word>... <word being completed>
//
// and read a Reply (Write's format: the kind on the first line, then the
// candidates or the prefix). All the knowledge — options, actions, the
// daemon's process names — stays in the binary, so the three shells offer
// the same words.

// Script returns the completion script for shell ("bash", "zsh", "fish")
// registering commands, completed by running helper (the multicall binary,
// found on PATH).
func Script(shell, helper string, commands []string) (string, error) {
	tmpl, ok := scripts[shell]
	if !ok {
		return "", fmt.Errorf("no completion for shell %q: bash, zsh or fish", shell)
	}
	r := strings.NewReplacer("@HELPER@", helper, "@COMMANDS@", strings.Join(commands, " "))
	return r.Replace(tmpl), nil
}

// Shells are the shells Script knows.
var Shells = []string{"bash", "zsh", "fish"}

var scripts = map[string]string{
	// bash splits words at COMP_WORDBREAKS (":" and "=" among them), so
	// "group:name" would be three words: the line up to the cursor is split
	// here at blanks only, and the candidates lose the part of the word
	// bash does not replace.
	"bash": `# bash completion for @COMMANDS@ (super completion bash)
_super_complete() {
    local line="${COMP_LINE:0:COMP_POINT}"
    local -a words
    read -r -a words <<< "$line"
    local cur=""
    if [[ -n "$line" && "$line" != *[[:space:]] ]]; then
        cur="${words[${#words[@]}-1]}"
        unset 'words[${#words[@]}-1]'
    fi
    local bashcur="${COMP_WORDS[COMP_CWORD]}"
    local keep="${cur%"$bashcur"}"
    local IFS=$'\n'
    local -a reply
    reply=($(@HELPER@ __complete "${words[@]}" "$cur" 2>/dev/null)) || return 0
    local -a found=()
    case "${reply[0]}" in
    words)
        found=("${reply[@]:1}")
        ;;
    files|dirs|users|commands)
        local prefix="${reply[1]}" flag=-f
        case "${reply[0]}" in
        files) compopt -o filenames 2>/dev/null ;;
        dirs) flag=-d; compopt -o filenames 2>/dev/null ;;
        users) flag=-u ;;
        commands) flag=-c ;;
        esac
        local f
        for f in $(compgen $flag -- "${cur#"$prefix"}"); do
            found+=("$prefix$f")
        done
        ;;
    esac
    COMPREPLY=()
    local w
    for w in "${found[@]}"; do
        [[ "$w" == "$keep"* ]] && COMPREPLY+=("${w#"$keep"}")
    done
    return 0
}
complete -F _super_complete @COMMANDS@
`,

	"zsh": `#compdef @COMMANDS@
# zsh completion for @COMMANDS@ (super completion zsh)
_super() {
    local -a reply found
    reply=("${(@f)$(@HELPER@ __complete "${(@)words[1,CURRENT-1]}" "${words[CURRENT]}" 2>/dev/null)}")
    case $reply[1] in
    words)
        found=("${(@)reply[2,-1]}")
        # Quoted as they go in: "web:*" becomes web:\* (zsh would glob it).
        (( ${#found} )) && compadd -- "${(@)found}"
        ;;
    files|dirs|users|commands)
        [[ -n $reply[2] ]] && compset -P "${(q)reply[2]}"
        case $reply[1] in
        files) _files ;;
        dirs) _files -/ ;;
        users) _users ;;
        commands) _command_names -e ;;
        esac
        ;;
    esac
}
if [[ "$funcstack[1]" == "_super" ]]; then
    _super "$@"
else
    compdef _super @COMMANDS@
fi
`,

	"fish": `# fish completion for @COMMANDS@ (super completion fish)
function __super_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l reply (@HELPER@ __complete $words "$cur" 2>/dev/null)
    or return
    switch "$reply[1]"
        case words
            printf '%s\n' $reply[2..-1]
        case files dirs users commands
            set -l prefix "$reply[2]"
            set -l rest (string sub -s (math (string length -- "$prefix") + 1) -- "$cur")
            switch "$reply[1]"
                case files
                    __fish_complete_path "$rest" | string replace -r '^' -- "$prefix"
                case dirs
                    __fish_complete_directories "$rest" | string replace -r '^' -- "$prefix"
                case users
                    __fish_complete_users | string replace -r '^' -- "$prefix"
                case commands
                    complete -C "$rest" | string replace -r '^' -- "$prefix"
            end
    end
end
for cmd in @COMMANDS@
    complete -c $cmd -f -a '(__super_complete)'
end
`,
}
