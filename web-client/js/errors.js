// Why joining failed, in words a participant can act on. The server's error codes are
// few; the message text (from gateway/token.c and gateway/session.c) tells the cases of
// `unauthorized` apart.

// kicked: the server's private `removed` message, when it came before the close.
export function joinError(status, room, kicked = null) {
  const msg = (status.message || '').toLowerCase();
  if (status.code === 'removed' || (status.code === 'forbidden' && msg.includes('removed'))) {
    const by = kicked?.by_name || kicked?.by;
    const reason = kicked ? kicked.reason : /: (.*)$/.exec(status.message || '')?.[1];
    return {
      title: 'You were removed from this meeting',
      text:
        `A chair${by ? `, ${by},` : ''} removed you from this meeting` +
        `${reason ? ` with the reason: “${reason}”` : ' (no reason was given)'}. ` +
        'You cannot rejoin unless a chair readmits you.',
    };
  }
  if (status.code === 'revoked' || msg.includes('token revoked'))
    return {
      title: 'This link was withdrawn',
      text: `The organisers withdrew your join link${kicked?.reason ? ` (“${kicked.reason}”)` : ''}. Ask them for a new one if you should be here.`,
    };
  if (status.code === 'unauthorized') {
    if (msg.includes('expired'))
      return {
        title: 'This link has expired',
        text: 'Your join link has expired. Ask the meeting’s organisers for a new one.',
      };
    if (msg.includes('not yet valid') || msg.includes('issued in the future'))
      return {
        title: 'This link is not valid yet',
        text: 'Your join link starts later, or this device’s clock is wrong. Check the date and time on this device, or try again at the meeting’s start.',
      };
    if (msg.includes('no expiry') || msg.includes('lifetime exceeds'))
      return {
        title: 'This link is not accepted here',
        text: 'This server only accepts join links that expire within its limit. Ask the meeting’s organisers for a new one.',
      };
    if (msg.includes('another room'))
      return {
        title: 'This link is for another room',
        text: `This join link does not belong to the room “${room}”. Check the link you were sent.`,
      };
    if (msg.includes('observers need a token'))
      return {
        title: 'A join link is needed',
        text: 'This room does not accept anonymous observers. Ask the organisers for a join link.',
      };
    if (msg.includes('token is required'))
      return {
        title: 'A join link is needed',
        text: 'Joining this room needs a link with a token.',
      };
    return {
      title: 'This link is not valid',
      text: 'Your join link was not accepted (it may be incomplete or changed). Copy the whole link again, or ask the organisers for a new one.',
    };
  }
  if (status.code === 'not_found')
    return {
      title: 'No such room',
      text: `There is no room called “${room}” on this server. Check the link.`,
    };
  if (status.code === 'conflict')
    return {
      title: 'Already here with another role',
      text: 'You are already in this room with another role, in another tab or device. Close it, then try again.',
    };
  if (status.code === 'forbidden')
    return { title: 'Not allowed', text: status.message || 'This role may not join this room.' };
  return {
    title: 'Could not join',
    text: `The server refused to join (${status.message || status.code}).`,
  };
}
