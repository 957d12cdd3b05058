# zsh -f zsh-first-tab.zsh WORDS EXPECTED: type WORDS and one TAB in an interactive zsh whose completion
# comes from the files on its default $fpath (compinit), and print the screen once EXPECTED appears on it
# (or after 15 s). The first TAB must complete: a completion file that only defines its function at the
# first TAB would complete only at the second.
zmodload zsh/zpty
zpty z 'TERM=dumb zsh -f -i'
zpty -w z 'PS1="READY%% "; autoload -U compinit && compinit -u -D; tunadm() { :; }'
zpty -r z screen '*READY% '
zpty -w -n z "$1"$'\t'
for i in {1..75}; do
  while zpty -r -t z chunk; do screen+=$chunk; done
  [[ $screen == *"$2"* ]] && break
  sleep 0.2
done
zpty -d z
print -r -- "${screen//$'\r'/}"
