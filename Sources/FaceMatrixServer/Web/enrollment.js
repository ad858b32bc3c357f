// FaceMatrix "try it" page: enrolling a face and deleting a user.
'use strict';

// ---- enrol and delete --------------------------------------------------------------------------------------------

async function enrol(event) {
  event.preventDefault();
  const form = $('enrol-form');
  if (!form.reportValidity()) return;
  const name = $('enrol-name').value.trim();
  const body = { name, birthdate: $('enrol-birthdate').value, req_id: state.reqId };
  const email = $('enrol-email').value.trim();
  if (email) body.email = email;
  clearMessages();
  $('enrol-submit').disabled = true;
  setBusy('Enrolling…');
  const face = state.enrolFace; // a face of the list (every-face mode), or null
  const [seq, file] = [state.seq, state.file];
  try {
    const data = await api('POST', '/api/v1/add_user', body);
    show('enrol-form', false);
    form.reset();
    state.reqId = null;
    if (face !== null) {
      const enrolled = (...more) => $('enrolled').replaceChildren(
        `Enrolled face ${face} as ${name}, `, code(data.user_id), ...more);
      homeEnrolForm();
      show('enrolled');
      if (seq !== state.seq || !file) { // another photo was chosen meanwhile: leave its result alone
        enrolled('.');
        return;
      }
      enrolled('. Looking at the photo again…');
      await recognise(file, { keepEnrolled: true }); // the list shows the new match
      enrolled('.');
      return;
    }
    $('enrolled').replaceChildren(`Enrolled ${name} as `, code(data.user_id),
      '. Upload another photo of them to see the match.');
    show('enrolled');
  } catch (error) {
    showError(error);
  } finally {
    $('enrol-submit').disabled = false;
    setBusy('');
  }
}

async function deleteUser() {
  const user = state.user;
  if (!user || !window.confirm(`Delete ${user.name} (${user.id}) and every face enrolled for them?`)) return;
  const seq = state.seq;
  clearMessages();
  $('delete-user').disabled = true;
  setBusy('Deleting…');
  try {
    await api('DELETE', `/api/v1/users/${encodeURIComponent(user.id)}`);
    if (seq === state.seq) showDeleted(user);
    notice(`Deleted ${user.name} `, code(user.id), ' and all their faces.');
  } catch (error) {
    showError(error);
  } finally {
    $('delete-user').disabled = false;
    setBusy('');
  }
}

/** The match on the page is gone: no name, no figures about them, the face box drawn again in grey and unlabelled. */
function showDeleted(user) {
  state.user = null;
  show('matched', false);
  show('details', false);
  $('result').dataset.state = 'deleted';
  $('decision').replaceChildren(`Deleted ${user.name}. Choose another photo to go on.`);
  if (state.shown && state.shown.picture) {
    drawScene(state.shown.picture, state.shown.metadata,
      { color: BOX_COLOR.deleted, note: ', of a person who has since been deleted' });
  }
}
